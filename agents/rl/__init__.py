"""Reinforcement-learning students for the maze and the curricula that train them.

Importing this package stays cheap: stable-baselines3 and torch are imported only by
:mod:`agents.rl.ppo`, :mod:`agents.rl.curricula` and the ``maze-ppo`` student when used.
"""
