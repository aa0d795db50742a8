"""The ``betal`` command line; the library lives in ``betal_envs``, ``designers`` and ``agents``."""
