# Copyright: maestro.ng contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`maestro complete WORDS`: the words that complete a maestro command line, for the shells'
completion (README.md shows the bash and zsh setup).

WORDS is the command line from the program's name to the word being typed (empty when a new
word starts), as separate words or as one string (MaestroNG's form). What completes it: the
commands, a command's options (a word that starts with -), nothing after an option that takes
a value (the shell completes a file name there), else the environment's services and instances
(of -f FILE in the line, or ./maestro.yaml).
"""


def _options(parser):
    # argparse keeps a parser's actions private; their option strings are what completes.
    return sorted(option for action in parser._actions for option in action.option_strings)  # pylint: disable=protected-access


def _takes_value(parser, word):
    return any(word in action.option_strings and action.nargs != 0 for action in parser._actions)  # pylint: disable=protected-access


def words(parser, tokens, names=None):
    """The completions (sorted) of the last of ``tokens``; ``names(file)`` lists the services
    and instances of an environment file (None: not known here)."""
    line = [word for token in tokens for word in token.split(" ")] or [""]
    typed, before = line[-1], line[1:-1]  # the program's name is not looked at
    env_file, command, index = "maestro.yaml", None, 0
    while index < len(before):
        word = before[index]
        if word in ("-f", "--file") and index + 1 < len(before):
            env_file, index = before[index + 1], index + 2
            continue
        if word.startswith("--file=") or (word.startswith("-f") and len(word) > 2 and command is None):
            env_file = word.split("=", 1)[1] if word.startswith("--file=") else word[2:]
        elif not word.startswith("-") and command is None:
            command = word
        index += 1
    sub = parser.commands.get(command) if command else None
    previous = before[-1] if before else ""
    if previous in ("-f", "--file") or _takes_value(sub or parser, previous):
        found = []
    elif typed.startswith("-"):
        found = _options(sub or parser)
    elif command is None:
        found = list(parser.commands)
    elif command == "complete" or names is None:
        found = []
    else:
        found = names(env_file) or []
    return sorted({word for word in found if word.startswith(typed)})
