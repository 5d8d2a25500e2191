"""Many runs trained as one batched tensor computation (train_many) equal the same runs trained one by one by the
readable loop (train), to 1e-12."""
import pytest

import hnn


def assert_same(batched, single):
    assert batched.config == single.config
    assert len(batched.epochs) == len(single.epochs)
    for a, b in zip(batched.epochs, single.epochs):
        assert a.epoch == b.epoch
        for group in ("values", "grad", "hand", "local", "updated"):
            assert dict(getattr(a, group)) == pytest.approx(dict(getattr(b, group)), rel=1e-12, abs=1e-12)
        assert dict(a.fd) == pytest.approx(dict(b.fd), rel=1e-6, abs=1e-9)  # a finite difference's own error
    assert tuple(vars_of(batched.final)) == pytest.approx(tuple(vars_of(single.final)), rel=1e-12, abs=1e-12)


def vars_of(final):
    return (final.w1, final.w2, final.b, final.n, final.o, final.loss)


def test_two_hundred_learning_rates_equal_their_single_runs():
    rates = [0.005 * (k + 1) for k in range(200)]
    configs = hnn.configs(learning_rate=rates, epochs=20)
    batched = hnn.train_many(configs)
    assert [t.config.learning_rate for t in batched] == rates
    for k in (0, 57, 199):
        assert_same(batched[k], hnn.train(configs[k]))


def test_every_numeric_hyperparameter_can_vary_including_epochs_and_activation():
    configs = hnn.configs(
        x1=[2.0, -1.0, 0.5, 1.0],
        w2=[1.0, 0.5, -0.5, 2.0],
        target=[0.0, 0.3, 0.6, 0.1],
        epochs=[3, 0, 7, 5],
        activation=["tanh", "sigmoid", "tanh", "relu"],
        x2=0.4,
    )
    batched = hnn.train_many(configs)
    assert [len(t.epochs) for t in batched] == [3, 0, 7, 5]
    for trace, config in zip(batched, configs):
        assert_same(trace, hnn.train(config))


def test_sequences_of_different_lengths_are_refused():
    with pytest.raises(ValueError, match="same length: learning_rate has 2, epochs has 3"):
        hnn.configs(learning_rate=[0.1, 0.2], epochs=[1, 2, 3])
