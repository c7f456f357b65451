using Fovea.Data;
using Fovea.Layers;
using Fovea.Losses;
using Fovea.Models;
using Fovea.Optimizers;
using Fovea.Training;

namespace Fovea.Tests.Training;

/// <summary>Fit's validationFrequency (Keras's validation_freq): which epochs validate, that the weights do not
/// depend on it, and that early stopping counts validations rather than epochs.</summary>
public class ValidationFrequencyTests
{
    private static Sequential CompiledModel()
    {
        var model = new Sequential(
            new Conv2D(6, (3, 3), inputShape: (8, 8, 3)),
            new BatchNormalization(),
            new ReLU(),
            new MaxPool2D((2, 2)),
            new Flatten(),
            new Dense(3, activation: Activation.Softmax)) { Seed = 7 };
        model.Compile(new Sgd(0.05f, momentum: 0.9f), new SparseCategoricalCrossentropy(), ["accuracy"]);
        return model;
    }

    private static (ImageSet, int[]) Data(int count, int seed)
    {
        var random = new Random(seed);
        var pixels = new byte[count * 8 * 8 * 3];
        random.NextBytes(pixels);
        return (new ImageSet(pixels, count, 8, 8, 3), Enumerable.Range(0, count).Select(_ => random.Next(3)).ToArray());
    }

    [Fact]
    public void Validates_every_nth_epoch_and_the_last_without_changing_the_weights()
    {
        var (x, y) = Data(64, seed: 1);
        var validation = Data(20, seed: 2);
        var everyEpoch = CompiledModel();
        var history = everyEpoch.Fit(x, y, batchSize: 16, epochs: 7, validationData: validation, verbose: 0);
        var everyThird = CompiledModel();
        var sparse = everyThird.Fit(x, y, batchSize: 16, epochs: 7, validationData: validation, verbose: 0, validationFrequency: 3);

        Assert.Equal([3, 6, 7], sparse.Epochs.Where(e => e.ValLoss is not null).Select(e => e.Epoch));
        Assert.All(sparse.Epochs.Where(e => e.ValLoss is null), e => Assert.Equal(0, e.ValidationSeconds));
        Assert.True(everyEpoch.Weights.SequenceEqual(everyThird.Weights), "validating less often changed the weights");
        // The epochs that did validate measured the same model.
        foreach (int epoch in new[] { 3, 6, 7 })
            Assert.Equal(history.Epochs[epoch - 1].ValLoss, sparse.Epochs[epoch - 1].ValLoss);
        Assert.Equal(history["loss"], sparse["loss"]);
    }

    [Fact]
    public void Last_epoch_only_validates_once()
    {
        var (x, y) = Data(32, seed: 3);
        var history = CompiledModel().Fit(x, y, batchSize: 16, epochs: 3, validationData: Data(10, seed: 4), verbose: 0,
            validationFrequency: Recipe.LastEpochOnly);
        Assert.Equal([3], history.Epochs.Where(e => e.ValLoss is not null).Select(e => e.Epoch));
    }

    [Fact]
    public void A_frequency_below_one_is_refused()
    {
        var (x, y) = Data(16, seed: 5);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => CompiledModel().Fit(x, y, epochs: 1, validationData: Data(4, seed: 6), verbose: 0, validationFrequency: 0));
        Assert.Contains("validationFrequency must be at least 1", e.Message);
    }

    [Fact]
    public void Early_stopping_counts_validations_not_epochs()
    {
        var model = CompiledModel();
        var early = new EarlyStopping(patience: 2);
        early.OnTrainBegin(new TrainingRun(model, 12, 1, 1, 1, 0) { ValidationFrequency = 2 });
        // Validations at epochs 2, 4, 6, 8: the best at 4, then two without improvement end the run at 8.
        double?[] valLosses = [null, 1.0, null, 0.5, null, 0.7, null, 0.6, null, 0.1];
        int last = 0;
        for (int epoch = 1; epoch <= valLosses.Length && !model.StopTraining; epoch++)
        {
            early.OnEpochEnd(new EpochLog(epoch, 1, 0.5, valLosses[epoch - 1], valLosses[epoch - 1] is null ? null : 0.5, 1));
            last = epoch;
        }
        Assert.True(model.StopTraining);
        Assert.Equal(8, last);
        Assert.Equal(4, early.BestEpoch);

        // Without validation data an epoch with no val_loss is a mistake, said as such.
        var blind = new EarlyStopping(patience: 2);
        blind.OnTrainBegin(new TrainingRun(model, 3, 1, 1, 1, 0) { ValidationFrequency = 0 });
        Assert.Throws<InvalidOperationException>(() => blind.OnEpochEnd(new EpochLog(1, 1, 0.5, null, null, 1)));
    }

    [Fact]
    public void Resumed_early_stopping_skips_the_epochs_that_did_not_validate()
    {
        var early = new EarlyStopping(patience: 2);
        early.Resume(new History([new EpochLog(1, 1, 0, 0.5, 0, 1), new EpochLog(2, 1, 0, null, null, 1), new EpochLog(3, 1, 0, null, null, 1)]), null);
        Assert.Equal(0.5, early.BestValLoss);
        Assert.False(early.PatienceExhausted);
    }
}
