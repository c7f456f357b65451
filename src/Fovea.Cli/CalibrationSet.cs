using System.Globalization;
using Fovea.Data;

namespace Fovea.Cli;

/// <summary>
/// Where <c>fovea train --calibrate</c> fits the model's temperature: the validation split when the run has one
/// besides its test set; else a tenth of the training images, chosen by the seed and held out of training, since a
/// temperature fitted on the test set would make its calibration error meaningless.
/// </summary>
/// <param name="Images">The labelled images the temperature is fitted on.</param>
/// <param name="Description">What they are, for the console and the report ("5,000 held-out training images").</param>
/// <param name="HeldOutOfTraining">True when they were taken out of the training images.</param>
internal sealed record CalibrationSet(LabeledImages Images, string Description, bool HeldOutOfTraining)
{
    /// <summary>The share of the training images held out when the run validates on its test set: 5,000 of CIFAR-10's 50,000.</summary>
    public const int HeldOutDivisor = 10;

    /// <summary>Whether a run calibrates when neither <c>--calibrate</c> nor <c>--no-calibrate</c> says: where it has a
    /// validation set that is not its test set.</summary>
    public static bool ByDefault(LoadedData data) => data.Validation is not null && data.Test is not null;

    /// <summary>
    /// The calibration images for <paramref name="data"/>, and the data the run then trains on (fewer training images
    /// when they are held out of them). Throws <see cref="FoveaUsageException"/> when there is nothing to fit on.
    /// </summary>
    public static (CalibrationSet Set, LoadedData Data) Choose(LoadedData data, long seed)
    {
        if (ByDefault(data))
        {
            var validation = data.Validation!;
            if (validation.Count == 0) throw new FoveaUsageException("--calibrate needs validation images to fit the temperature on; the validation set is empty");
            return (new CalibrationSet(validation, $"{Count(validation.Count)} validation images", false), data);
        }
        int count = data.Train.Count / HeldOutDivisor;
        if (count == 0)
            throw new FoveaUsageException($"--calibrate holds out a tenth of the training images to fit the temperature on; {Count(data.Train.Count)} training images leave none (use at least {HeldOutDivisor}, or --no-calibrate)");
        int[] order = Enumerable.Range(0, data.Train.Count).ToArray();
        Rng.For(seed, "calibration").Shuffle(order);
        int[] held = order[..count], kept = order[count..];
        // Each part keeps the data's order, so the training shuffle sees the images as it would have.
        Array.Sort(held);
        Array.Sort(kept);
        var train = data.Train;
        var calibration = new LabeledImages(train.Images.Subset(held), held.Select(i => train.Labels[i]).ToArray());
        var rest = new LabeledImages(train.Images.Subset(kept), kept.Select(i => train.Labels[i]).ToArray());
        return (new CalibrationSet(calibration, $"{Count(count)} held-out training images", true), data with { Train = rest });
    }

    private static string Count(int n) => n.ToString("N0", CultureInfo.InvariantCulture);
}
