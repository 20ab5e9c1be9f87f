"""GRPO (DeepSeekMath §4.1, Algorithm 1): rollout, rewards, advantages, loss, trainer.

One idea per module: `rollout` samples G outputs per question, `rewards` scores them, `advantages`
turns rewards into per-token advantages, `logprobs` computes per-token log-probabilities, `loss` is
the clipped objective with the KL penalty, `trainer` runs Algorithm 1, `reward_model` is the learned
reward alternative.
"""
