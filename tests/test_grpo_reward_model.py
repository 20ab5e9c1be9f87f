"""Learned reward model: replay mix, continual training, and GRPO with reward=model."""

import random

import pytest

from training.grpo.reward_model import RewardModel, RewardModelConfig, replay_mix
from training.tasks.arithmetic import ArithmeticTask, generate, make_task_model, solution


def test_replay_mix_is_ten_percent_history():
    rng = random.Random(0)
    mix = replay_mix(list(range(900)), list(range(1000, 3000)), 0.1, rng)
    replayed = [x for x in mix if x >= 1000]
    assert len(mix) == 1000 and len(replayed) == 100
    assert replay_mix([1, 2], [], 0.1, rng) == [1, 2]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    train, _ = generate(ArithmeticTask(train_size=200, test_size=10))
    return make_task_model(
        tmp_path_factory.mktemp("rm") / "m", train, hidden_size=32, layers=2, heads=2
    ), train


def test_continual_training_learns_and_replays(model_dir):
    path, train = model_dir
    rm = RewardModel(str(path), RewardModelConfig(lr=3e-3, epochs=4, batch_size=8, replay_ratio=0.1))
    nums = [[int(x) for x in r["question"][8:-1].split(" + ")] for r in train[:40]]
    good = [(r["question"], solution(n), 1.0) for r, n in zip(train[:20], nums[:20])]
    bad = [(r["question"], solution(n)[:-1] + "0", 0.0) for r, n in zip(train[20:40], nums[20:40])]
    first = rm.continual_train(good + bad, seed=0)
    assert first["replayed"] == 0 and first["new"] == 40
    second = rm.continual_train(good + bad, seed=1)
    assert second["replayed"] == 5  # ceil(40 * 0.1 / 0.9)
    assert len(rm.history) == 80
    assert second["loss"] < first["loss"]
    scores = rm.score([q for q, _, _ in good + bad], [s for _, s, _ in good + bad])
    assert all(0.0 < s < 1.0 for s in scores)


def test_grpo_step_with_learned_reward(model_dir, tmp_path):
    from training.grpo.trainer import GRPOConfig, GRPOTrainer

    path, train = model_dir
    rcfg = RewardModelConfig(questions_per_iteration=4, samples_per_question=2, batch_size=8)
    cfg = GRPOConfig(
        model=str(path),
        output_dir=str(tmp_path / "g"),
        group_size=4,
        batch_size=8,
        micro_batch_size=8,
        max_new_tokens=8,
        answer_kind="gsm8k",
        reward="model",
        reward_model=rcfg,
        steps_per_iteration=1,
        iterations=2,
        samples_to_log=0,
    )
    t = GRPOTrainer(cfg, [{"question": r["question"], "answer": r["answer"]} for r in train], [])
    summary = t.train()
    assert summary["steps"] == 2
    assert len(t.reward_model.history) == 2 * 4 * 2  # one labelled round per iteration
