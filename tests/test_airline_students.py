"""The scripted airline student, which plays through the text observation alone.

At full capacity it must solve every instance of the space (given turns enough), which shows
that the observation holds everything needed and that the gold follows the written policy.
Its knobs must weaken it in the ways they say, and a student that ignores the policy must
fail.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from agents import evaluate, make_student
from agents.airline import AirlineScriptedStudent
from agents.evaluation import play_episode
from agents.student import Episode
from betal_envs.airline import SPACE, AirlineEnv
from betal_envs.errors import SpecError, UnknownNameError

ENV_ID = "BeTaL/Airline-v0"


def test_at_full_capacity_it_solves_every_sampled_instance():
    student = make_student("airline-scripted", ENV_ID)
    rng = np.random.default_rng(11)
    failures = []
    for number in range(60):
        params = {**SPACE.sample(rng), "turn_limit": 100}
        env = gym.make(ENV_ID, params=params, disable_env_checker=True)
        for index in range(5):
            result, _ = play_episode(student, env, ENV_ID, number, index)
            if not result.success:
                failures.append((params, number, index, env.unwrapped._outcome))
    assert failures == []


def test_a_student_that_skips_every_policy_check_breaks_the_policy_and_fails():
    breaker = make_student("airline-scripted:skip_check=1", ENV_ID)
    params = {
        "request_kinds": ["cancel", "change_flight"],
        "forbidden_share": 1.0,
        "turn_limit": 100,
    }
    env = gym.make(ENV_ID, params=params, disable_env_checker=True)
    for index in range(20):
        result, _ = play_episode(breaker, env, ENV_ID, 0, index)
        reasons = env.unwrapped._outcome
        assert not result.success
        assert any(r.startswith("policy violation") for r in reasons)
        assert any("had to be refused" in r for r in reasons)
    follower = make_student("airline-scripted", ENV_ID)
    assert evaluate(follower, ENV_ID, params, episodes=20).rate == 1.0


def test_the_default_student_finds_the_defaults_of_middling_difficulty():
    student = make_student(None, ENV_ID)
    rate = evaluate(student, ENV_ID, episodes=150, seed=3).rate
    assert 0.3 <= rate <= 0.7
    easy = {
        "n_requests": 1, "forbidden_share": 0.0, "cooperativeness": 1.0,
        "distractor_reservations": 0, "reservations_per_user": 0, "turn_limit": 100,
    }  # fmt: skip
    hard = {
        "n_requests": 6, "forbidden_share": 1.0, "cooperativeness": 0.0,
        "distractor_reservations": 6, "payment_complexity": 3, "turn_limit": 60,
    }  # fmt: skip
    assert evaluate(student, ENV_ID, easy, episodes=60, seed=3).rate >= 0.85
    assert evaluate(student, ENV_ID, hard, episodes=60, seed=3).rate <= 0.15


@pytest.mark.parametrize(
    ("knob", "values"), [("skip_check", (0.0, 0.5, 1.0)), ("slip", (0.0, 0.15, 0.4))]
)
def test_each_knob_weakens_the_student(knob, values):
    rates = [
        evaluate(make_student(f"airline-scripted:{knob}={v}", ENV_ID), ENV_ID, episodes=40).rate
        for v in values
    ]
    assert rates[0] == 1.0 or knob == "slip"
    assert rates[0] > rates[1] > rates[2]


def test_requests_stated_together_beyond_its_capacity_are_forgotten():
    params = {
        "request_style": "all_at_once",
        "n_requests": 4,
        "forbidden_share": 0.0,
        "turn_limit": 100,
    }
    small = make_student("airline-scripted:capacity=3", ENV_ID)
    large = make_student("airline-scripted:capacity=4", ENV_ID)
    assert evaluate(small, ENV_ID, params, episodes=20).rate == 0.0
    assert evaluate(large, ENV_ID, params, episodes=20).rate == 1.0


def test_an_episode_replays_exactly_from_its_seed_and_index():
    student = make_student("airline-scripted:skip_check=0.5,slip=0.2", ENV_ID)

    def actions() -> list[str]:
        env = AirlineEnv()
        observation, info = env.reset(seed=5, options={"index": 3})
        episode, taken = Episode(ENV_ID, 5, 3), []
        while True:
            action = student.act(observation, info, episode)
            taken.append(action)
            observation, _, terminated, truncated, info = env.step(action)
            if terminated or truncated:
                return taken

    assert actions() == actions()


def test_bad_settings_are_refused_with_the_allowed_values():
    with pytest.raises(SpecError, match=r"skip_check=2\.0 is not a probability"):
        make_student("airline-scripted:skip_check=2", ENV_ID)
    with pytest.raises(SpecError, match="capacity=-1 is negative"):
        make_student("airline-scripted:capacity=-1", ENV_ID)
    with pytest.raises(SpecError, match="plays BeTaL/Airline-v0, not"):
        make_student("airline-scripted", "BeTaL/Maze-v0")
    with pytest.raises(UnknownNameError, match="Did you mean 'airline-scripted'"):
        make_student("airline-scripte", ENV_ID)
    assert AirlineScriptedStudent(slip=0.1).describe().startswith("airline-scripted:skip_check=0")
