using Fovea.Evaluation;

namespace Fovea.Tests.Evaluation;

public class CalibrationTests
{
    [Fact]
    public void A_calibrated_set_has_no_calibration_error()
    {
        // Ten samples at 80% confidence, eight of them right.
        float[] probabilities = Enumerable.Repeat(new[] { 0.8f, 0.2f }, 10).SelectMany(row => row).ToArray();
        int[] labels = [0, 0, 0, 0, 1, 0, 0, 0, 1, 0];
        ReliabilityDiagram diagram = Calibration.Reliability(probabilities, 2, labels);
        Assert.Equal(0, diagram.ExpectedCalibrationError, 1e-6);
        Assert.Equal(0.8, diagram.Accuracy, 12);
        Assert.Equal(Calibration.DefaultBins, diagram.Bins.Count);
        Assert.Equal(10, diagram.Bins.Single(b => b.Count > 0).Count);
    }

    [Fact]
    public void Hand_computed_bins_and_errors()
    {
        float[] probabilities =
        [
            0.9f, 0.1f,   // right, confidence 0.9
            0.9f, 0.1f,   // wrong, confidence 0.9
            0.3f, 0.7f,   // right, 0.7
            0.65f, 0.35f, // right, 0.65
        ];
        int[] labels = [0, 1, 1, 0];
        ReliabilityDiagram diagram = Calibration.Reliability(probabilities, 2, labels, bins: 5);

        Assert.Equal([0, 0, 0, 2, 2], diagram.Bins.Select(b => b.Count));
        ReliabilityBin middle = diagram.Bins[3], top = diagram.Bins[4];
        Assert.Equal((0.6, 0.8), (middle.Lower, middle.Upper));
        Assert.Equal(1.0, middle.Accuracy, 12);
        Assert.Equal(0.675, middle.Confidence, 6);
        Assert.Equal(0.5, top.Accuracy, 12);
        Assert.Equal(0.9, top.Confidence, 6);
        Assert.True(double.IsNaN(diagram.Bins[0].Accuracy) && diagram.Bins[0].Gap == 0);
        // ECE = ½·|1 − 0.675| + ½·|0.5 − 0.9|; MCE = 0.4.
        Assert.Equal(0.3625, diagram.ExpectedCalibrationError, 6);
        Assert.Equal(0.4, diagram.MaximumCalibrationError, 6);
        Assert.Equal(0.75, diagram.Accuracy, 12);
        Assert.Equal(0.7875, diagram.Confidence, 6);
        Assert.Equal(diagram.ExpectedCalibrationError, Calibration.ExpectedCalibrationError(probabilities, 2, labels, bins: 5));
    }

    [Fact]
    public void Matches_a_reference_written_with_grouping()
    {
        const int classes = 10;
        var (logits, labels) = SyntheticLogits.Make(3000, classes, temperature: 1.5);
        float[] probabilities = SyntheticLogits.Softmax(logits, classes);
        int[] predicted = SyntheticLogits.ArgMax(probabilities, classes);

        double expected = Enumerable.Range(0, labels.Length)
            .Select(i => (Confidence: (double)probabilities[i * classes + predicted[i]], Right: predicted[i] == labels[i]))
            .GroupBy(s => Math.Max(0, (int)Math.Ceiling(s.Confidence * 15) - 1))
            .Sum(bin => (double)bin.Count() / labels.Length * Math.Abs(bin.Average(s => s.Right ? 1.0 : 0.0) - bin.Average(s => s.Confidence)));

        var tensor = new Tensor(new Shape(labels.Length, classes), probabilities);
        Assert.Equal(expected, Calibration.ExpectedCalibrationError(tensor, labels), 12);
        Assert.Equal(labels.Length, Calibration.Reliability(tensor, labels).Bins.Sum(b => b.Count));
    }

    [Fact]
    public void Bad_shapes_and_labels_are_refused_with_the_values()
    {
        var e = Assert.Throws<ArgumentException>(() => Calibration.ExpectedCalibrationError(new float[5], 2, [0, 1, 0]));
        Assert.Contains("probabilities must hold 3 rows of 2 classes (6 values); got 5", e.Message);
        e = Assert.Throws<ArgumentException>(() => Calibration.ExpectedCalibrationError(new float[4], 2, [0, 2]));
        Assert.Contains("labels[1] must be a class index in [0, 2); got 2", e.Message);
        e = Assert.Throws<ArgumentException>(() => Calibration.Reliability(new Tensor(new Shape(4)), [0, 1, 0, 1]));
        Assert.Contains("probabilities must be a [N, classes] tensor", e.Message);
        var range = Assert.Throws<ArgumentOutOfRangeException>(() => Calibration.Reliability(new float[2], 2, [0], bins: 0));
        Assert.Contains("bins must be positive; got 0", range.Message);
    }
}
