using Fovea.Evaluation;

namespace Fovea.Tests.Evaluation;

public class TemperatureScalingTests
{
    private const int Classes = 10;

    [Theory]
    [InlineData(2.0)]
    [InlineData(0.5)]
    public void Recovers_the_temperature_the_labels_were_drawn_at(double temperature)
    {
        var (logits, labels) = SyntheticLogits.Make(20_000, Classes, temperature);
        double fitted = TemperatureScaling.Fit(logits, Classes, labels);
        Assert.InRange(fitted, temperature * 0.95, temperature * 1.05);

        // The minimum: a step either way raises the loss.
        double best = TemperatureScaling.NegativeLogLikelihood(logits, Classes, labels, fitted);
        Assert.True(best < TemperatureScaling.NegativeLogLikelihood(logits, Classes, labels, fitted * 1.01));
        Assert.True(best < TemperatureScaling.NegativeLogLikelihood(logits, Classes, labels, fitted / 1.01));
    }

    [Fact]
    public void Probabilities_fit_as_their_logits_do()
    {
        var (logits, labels) = SyntheticLogits.Make(5000, Classes, temperature: 2.5);
        float[] probabilities = SyntheticLogits.Softmax(logits, Classes);
        double fromLogits = TemperatureScaling.Fit(logits, Classes, labels);
        double fromProbabilities = TemperatureScaling.FitFromProbabilities(new Tensor(new Shape(labels.Length, Classes), probabilities), labels);
        Assert.Equal(fromLogits, fromProbabilities, 1e-3);
        Assert.Equal(fromProbabilities, TemperatureScaling.FitFromProbabilities(probabilities, Classes, labels)); // the same bits again
    }

    [Fact]
    public void Scaling_keeps_every_prediction_and_rows_sum_to_one()
    {
        var (logits, _) = SyntheticLogits.Make(2000, Classes, temperature: 1);
        int[] predicted = SyntheticLogits.ArgMax(logits, Classes);
        foreach (double temperature in new[] { 0.3, 1.0, 2.0, 10.0 })
        {
            float[] scaled = TemperatureScaling.Apply(logits, Classes, temperature);
            Assert.Equal(predicted, SyntheticLogits.ArgMax(scaled, Classes));
            for (int i = 0; i < predicted.Length; i++)
                Assert.Equal(1.0, scaled.AsSpan(i * Classes, Classes).ToArray().Sum(p => (double)p), 5);
        }
        float[] probabilities = SyntheticLogits.Softmax(logits, Classes);
        Assert.Equal(predicted, SyntheticLogits.ArgMax(TemperatureScaling.ApplyToProbabilities(probabilities, Classes, 3), Classes));
        // T = 1 on log p gives p back.
        float[] same = TemperatureScaling.ApplyToProbabilities(probabilities, Classes, 1);
        for (int i = 0; i < same.Length; i++) Assert.Equal(probabilities[i], same[i], 1e-6f);
    }

    [Fact]
    public void An_over_confident_model_is_better_calibrated_after_scaling()
    {
        // Labels drawn at T = 3 but the model reports softmax(z): it is three times too sure of itself.
        var (logits, labels) = SyntheticLogits.Make(10_000, Classes, temperature: 3);
        float[] probabilities = SyntheticLogits.Softmax(logits, Classes);
        double before = Calibration.ExpectedCalibrationError(probabilities, Classes, labels);
        double temperature = TemperatureScaling.FitFromProbabilities(probabilities, Classes, labels);
        float[] scaled = TemperatureScaling.ApplyToProbabilities(probabilities, Classes, temperature);
        double after = Calibration.ExpectedCalibrationError(scaled, Classes, labels);

        Assert.True(temperature > 2.5, $"T = {temperature}");
        Assert.True(before > 0.1, $"ECE before: {before}");
        Assert.True(after < before / 4, $"ECE {before} -> {after}");
        Assert.Equal(Calibration.Reliability(probabilities, Classes, labels).Accuracy, Calibration.Reliability(scaled, Classes, labels).Accuracy);
    }

    [Fact]
    public void A_likelihood_without_a_finite_minimum_gives_the_nearer_bound()
    {
        // Every label alone at the top: the loss keeps falling as T → 0.
        float[] separated = [5, 0, 0, 0, 5, 0];
        Assert.Equal(TemperatureScaling.MinTemperature, TemperatureScaling.Fit(separated, 3, [0, 1]));
        // Logits that say nothing: any T is as good, and the softest is returned.
        Assert.Equal(TemperatureScaling.MaxTemperature, TemperatureScaling.Fit(new float[6], 3, [0, 2]));
        // Always wrong: the loss falls as T → ∞.
        Assert.Equal(TemperatureScaling.MaxTemperature, TemperatureScaling.Fit(separated, 3, [1, 0]));
    }

    [Fact]
    public void A_zero_probability_is_floored_before_its_logarithm()
    {
        float[] logits = TemperatureScaling.LogitsFromProbabilities([1f, 0f]);
        Assert.Equal(0f, logits[0]);
        Assert.Equal((float)Math.Log(TemperatureScaling.ProbabilityFloor), logits[1]);
        double temperature = TemperatureScaling.FitFromProbabilities([1f, 0f, 0.5f, 0.5f, 0f, 1f], 2, [1, 0, 1]);
        Assert.True(double.IsFinite(temperature) && temperature > 0);
    }

    [Fact]
    public void Bad_input_is_refused_with_the_value()
    {
        var e = Assert.Throws<ArgumentException>(() => TemperatureScaling.Fit([0f, float.NaN], 2, [0]));
        Assert.Contains("logits must be finite; got NaN at row 0, class 1", e.Message);
        var range = Assert.Throws<ArgumentOutOfRangeException>(() => TemperatureScaling.Apply([0f, 1f], 2, 0));
        Assert.Contains("temperature must be positive and finite; got 0", range.Message);
        e = Assert.Throws<ArgumentException>(() => TemperatureScaling.Fit(new Tensor(new Shape(2, 3)), [0]));
        Assert.Contains("logits must hold 1 rows of 3 classes (3 values); got 6", e.Message);
    }
}
