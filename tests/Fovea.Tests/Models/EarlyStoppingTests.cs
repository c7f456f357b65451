using Fovea.Zoo;
using Fovea.Losses;
using Fovea.Models;
using Fovea.Optimizers;
using Fovea.Training;

namespace Fovea.Tests.Models;

public class EarlyStoppingTests
{
    [Fact]
    public void StopsAfterPatienceAndRestoresTheBestWeights()
    {
        var model = ModelZoo.SeedCnn();
        model.Compile(new Adam(), new SparseCategoricalCrossentropy());
        var early = new EarlyStopping(patience: 2);
        var improved = new List<int>();
        early.Improved += log => improved.Add(log.Epoch);
        early.OnTrainBegin(new TrainingRun(model, 10, 1, 1, 1, 0));
        double[] valLosses = [1.0, 0.8, 0.9, 0.95, 0.7];
        float[] atBest = [];
        for (int e = 1; e <= valLosses.Length && !model.StopTraining; e++)
        {
            model.Weights.Fill(e); // stands for the weights after epoch e
            if (e == 2) atBest = model.Weights.ToArray();
            early.OnEpochEnd(new EpochLog(e, 1, 0.5, valLosses[e - 1], 0.5, 1));
        }
        Assert.True(model.StopTraining);
        Assert.Equal(4, early.StoppedEpoch);
        Assert.Equal(2, early.BestEpoch);
        Assert.Equal([1, 2], improved);
        Assert.True(model.Weights.SequenceEqual(atBest));
    }

    [Fact]
    public void ResumeTakesBestAndPatienceFromHistory()
    {
        var early = new EarlyStopping(patience: 3);
        early.Resume(new History([new EpochLog(1, 1, 0, 0.9, 0, 1), new EpochLog(2, 1, 0, 0.5, 0, 1), new EpochLog(3, 1, 0, 0.6, 0, 1)]), null);
        Assert.Equal(0.5, early.BestValLoss);
        Assert.Equal(2, early.BestEpoch);
    }

    [Fact]
    public void PatienceMustBePositive()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new EarlyStopping(0));
        Assert.Contains("patience must be at least 1; got 0", e.Message);
    }
}
