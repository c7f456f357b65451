using System.Globalization;
using Fovea.Evaluation;
using Fovea.Visualization;

namespace Fovea.Cli;

/// <summary>
/// A run's calibration and worst errors as <c>metrics.json</c> and the console state them: the expected calibration
/// error of the probabilities the model reports, its temperature with the error before and after, the images of
/// highest loss and the most-confused class pairs.
/// </summary>
internal static class RunErrorMetrics
{
    /// <summary><paramref name="metrics"/> with the figures of <paramref name="analysis"/> (made with the model's
    /// <paramref name="temperature"/>, if any, fitted on <paramref name="calibration"/>).</summary>
    public static RunMetrics AddTo(RunMetrics metrics, ErrorAnalysis analysis, double? temperature, CalibrationSet? calibration, IReadOnlyList<string> classNames)
    {
        double raw = analysis.Reliability.ExpectedCalibrationError;
        double? calibrated = temperature is null ? null : analysis.Calibrated!.ExpectedCalibrationError;
        return metrics with
        {
            Ece = calibrated ?? raw,
            Calibration = temperature is { } t && calibration is not null
                ? new RunMetrics.CalibrationMetrics(t, calibration.Description, calibration.Images.Count, raw, calibrated!.Value)
                : null,
            TopLosses = analysis.TopLosses.Select(l => new RunMetrics.TopLossMetric(l.Index, classNames[l.TrueClass], classNames[l.PredictedClass], l.Probability, l.Loss)).ToArray(),
            MostConfused = analysis.MostConfused.Select(p => new RunMetrics.ConfusedPairMetric(p.TrueName, p.PredictedName, p.Count)).ToArray(),
        };
    }

    /// <summary>
    /// The console's line: <c>ece: 4.90% → 2.70% (T = 1.262)</c> for a model with a temperature, else
    /// <c>ece: 4.90%</c>; 15 bins of the top probability.
    /// </summary>
    public static string EceLine(ErrorAnalysis analysis, double? temperature)
    {
        double raw = analysis.Reliability.ExpectedCalibrationError;
        return temperature is { } t
            ? string.Create(CultureInfo.InvariantCulture, $"ece: {raw * 100:0.00}% → {analysis.Calibrated!.ExpectedCalibrationError * 100:0.00}% (T = {t:0.000}, {Calibration.DefaultBins} bins)")
            : string.Create(CultureInfo.InvariantCulture, $"ece: {raw * 100:0.00}% ({Calibration.DefaultBins} bins)");
    }
}
