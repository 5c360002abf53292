"""The environment of the run layer's tests: db on ship1; api (ships 1 and 2) requires db; web requires
api; tool stands alone."""

ENV = """
name: sched
ships:
  ship1: {ip: 10.250.0.201}
  ship2: {ip: 10.250.0.202}
services:
  db:
    image: busybox
    instances:
      db-1: {ship: ship1}
  api:
    image: busybox
    requires: [db]
    instances:
      api-1: {ship: ship1}
      api-2: {ship: ship2}
  web:
    image: busybox
    requires: [api]
    instances:
      web-1: {ship: ship2}
  tool:
    image: busybox
    instances:
      tool-1: {ship: ship2}
"""
