"""Checks every registered template must pass, whatever it is about.

Each test is parametrized over ``betal_envs.template_ids()``, so a new template is covered as
soon as it is registered. The checks use only what every template declares: its parameter
space (defaults and random samples), its observation modes and the Gymnasium API.
"""

from __future__ import annotations

import pickle
import warnings
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import betal_envs
from betal_envs.params import BoolParam, FloatParam, IntParam
from betal_envs.registration import TEMPLATES, template_class

# The templates the suite ships; fixtures that other test modules register are left out.
ENV_IDS = [i for i in betal_envs.template_ids() if TEMPLATES[i].startswith("betal_envs.")]
MODE_CASES = [
    pytest.param(env_id, mode, id=f"{env_id}-{mode}")
    for env_id in ENV_IDS
    for mode in template_class(env_id).obs_modes
]
ARRAY_IDS = [i for i in ENV_IDS if "array" in template_class(i).obs_modes]
STEPS = 5


def _make(env_id: str, **kwargs: Any) -> gym.Env:
    return gym.make(env_id, disable_env_checker=True, **kwargs)


def _sampled_params(env_id: str, seed: int = 0) -> dict[str, Any]:
    return template_class(env_id).space.sample(np.random.default_rng(seed))


def _same(a: Any, b: Any) -> bool:
    """Deep equality that understands numpy arrays inside dicts, lists and tuples."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(np.asarray(a), np.asarray(b))
    return bool(a == b)


def _play(env: gym.Env, seed: int, steps: int = STEPS) -> list[Any]:
    """Reset with ``seed`` and take seeded random actions; return everything the env said."""
    env.action_space.seed(seed)
    trace: list[Any] = [env.reset(seed=seed)]
    for _ in range(steps):
        observation, reward, terminated, truncated, info = env.step(env.action_space.sample())
        trace.append((observation, reward, terminated, truncated, info))
        if terminated or truncated:
            break
    return trace


@pytest.mark.parametrize(("env_id", "mode"), MODE_CASES)
def test_gymnasium_env_checker_passes_without_warnings(env_id, mode):
    env = _make(env_id, obs_mode=mode)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env.unwrapped, skip_render_check=True)
    assert [str(w.message) for w in caught] == []


@pytest.mark.parametrize(("env_id", "mode"), MODE_CASES)
def test_same_seed_gives_the_same_episode(env_id, mode):
    params = _sampled_params(env_id, seed=1)
    first = _play(_make(env_id, params=params, obs_mode=mode), seed=11)
    again = _play(_make(env_id, params=params, obs_mode=mode), seed=11)
    assert _same(first, again)
    other = _play(_make(env_id, params=params, obs_mode=mode), seed=12)
    assert not _same(first[0][0], other[0][0])


@pytest.mark.parametrize(("env_id", "mode"), MODE_CASES)
def test_instances_regenerate_alone_from_their_index(env_id, mode):
    env = _make(env_id, obs_mode=mode)
    env.reset(seed=3)
    env.reset()
    third, _ = env.reset()
    direct, info = _make(env_id, obs_mode=mode).reset(seed=3, options={"index": 2})
    assert _same(third, direct) and info["index"] == 2


@pytest.mark.parametrize(("env_id", "mode"), MODE_CASES)
def test_pickled_env_continues_identically(env_id, mode):
    env = _make(env_id, params=_sampled_params(env_id), obs_mode=mode).unwrapped
    env.reset(seed=5)
    clone = pickle.loads(pickle.dumps(env))
    env.action_space.seed(0)
    action = env.action_space.sample()
    assert _same(env.step(action), clone.step(action))
    assert clone.get_params() == env.get_params()


@pytest.mark.parametrize(("env_id", "mode"), MODE_CASES)
def test_the_gold_is_revealed_only_in_the_final_steps_info(env_id, mode):
    env = _make(env_id, params=_sampled_params(env_id, seed=6), obs_mode=mode, max_steps=3)
    _, info = env.reset(seed=0)
    revealed = set(env.unwrapped._final_info())
    assert revealed, "the final step should say what the episode was about"
    assert not revealed & set(info)
    env.action_space.seed(0)
    terminated = truncated = False
    while not (terminated or truncated):
        *_, terminated, truncated, info = env.step(env.action_space.sample())
        assert (revealed <= set(info)) if terminated or truncated else not revealed & set(info)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_both_render_modes_draw_the_instance(env_id):
    text_env = _make(env_id, render_mode="ansi")
    text_env.reset(seed=0)
    drawing = text_env.render()
    assert isinstance(drawing, str) and drawing.strip()

    picture_env = _make(env_id, render_mode="rgb_array")
    picture_env.reset(seed=0)
    picture = picture_env.render()
    assert isinstance(picture, np.ndarray) and picture.dtype == np.uint8
    assert picture.ndim == 3 and picture.shape[2] == 3 and min(picture.shape[:2]) >= 16
    assert len(np.unique(picture.reshape(-1, 3), axis=0)) >= 3

    # Every frame has one size, through an episode and the next, as video recorders need.
    picture_env.action_space.seed(0)
    frames = [picture]
    for _ in range(STEPS):
        *_, terminated, truncated, _ = picture_env.step(picture_env.action_space.sample())
        frames.append(picture_env.render())
        if terminated or truncated:
            break
    picture_env.reset(seed=1)
    frames.append(picture_env.render())
    assert {frame.shape for frame in frames} == {picture.shape}


@pytest.mark.parametrize(("env_id", "mode"), MODE_CASES)
def test_sync_vector_env_runs_and_keeps_parameters(env_id, mode):
    params = _sampled_params(env_id, seed=2)
    envs = gym.make_vec(env_id, num_envs=4, vectorization_mode="sync", params=params, obs_mode=mode)
    try:
        envs.reset(seed=0)
        envs.action_space.seed(0)
        for _ in range(STEPS):
            envs.step(envs.action_space.sample())
        expected = template_class(env_id).space.validate(params)
        assert all(p == expected for p in envs.call("get_params"))
    finally:
        envs.close()


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_parameters_persist_across_resets(env_id):
    space = template_class(env_id).space
    env = _make(env_id).unwrapped
    chosen = _sampled_params(env_id, seed=3)
    env.set_params(chosen)
    env.reset(seed=0)
    env.reset()
    assert env.get_params() == space.validate(chosen)

    other = _sampled_params(env_id, seed=4)
    env.reset(options={"params": other})
    env.reset()
    assert env.get_params() == space.validate(other)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_defaults_build_and_the_manual_tables_every_parameter(env_id):
    cls = template_class(env_id)
    env = _make(env_id)
    assert env.unwrapped.get_params() == cls.space.defaults()
    assert cls.summary.strip() and cls.default_student
    manual = (cls.__doc__ or "").splitlines()
    assert any(line.strip() == "## Parameters" for line in manual)
    wrong = []
    for parameter in cls.space:
        rows = [
            line.strip().lower()
            for line in manual
            if line.strip().split("|")[1:2]
            in ([f" `{parameter.name}` "], [f" ``{parameter.name}`` "])
        ]
        expected = [f"| {parameter.kind} |"]
        if isinstance(parameter, (IntParam, FloatParam)):
            expected += [f"{parameter.low:g}..{parameter.high:g}", f"{parameter.default:g}"]
        if isinstance(parameter, BoolParam):
            expected.append(str(parameter.default).lower())
        if len(rows) != 1 or not all(text in rows[0] for text in expected):
            wrong.append((parameter.name, expected, rows))
    assert wrong == [], "each parameter needs one row in the manual's table, matching the space"


@pytest.mark.parametrize("env_id", ARRAY_IDS)
def test_stable_baselines3_env_checker_passes_in_array_mode(env_id):
    from stable_baselines3.common.env_checker import check_env as sb3_check_env

    env = _make(env_id, params=_sampled_params(env_id), obs_mode="array")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sb3_check_env(env.unwrapped, warn=True)
    assert [str(w.message) for w in caught] == []


@pytest.fixture
def one_torch_thread():
    """Run torch on one thread: on a small shared machine more threads only contend."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize("env_id", ARRAY_IDS)
def test_ppo_trains_briefly_in_array_mode(env_id, one_torch_thread):
    from stable_baselines3 import PPO

    env = _make(env_id, obs_mode="array")
    policy = (
        "MultiInputPolicy" if isinstance(env.observation_space, gym.spaces.Dict) else "MlpPolicy"
    )
    model = PPO(policy, env, n_steps=64, batch_size=32, n_epochs=1, seed=0, device="cpu")
    model.learn(total_timesteps=256)
    observation, _ = env.reset(seed=0)
    action, _ = model.predict(observation, deterministic=True)
    assert env.action_space.contains(action)
    assert "success" in env.step(action)[4] or env.unwrapped.max_steps > 1
