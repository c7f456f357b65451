using Fovea.Data;
using Fovea.Imaging;

namespace Fovea.Cli;

/// <summary>
/// A dataset as the commands use it, whatever its source: the training images, those held out for validation and
/// those kept for the final test (either may be missing for a folder of pictures), the class names, and the request
/// with every default filled in, which a run saves so that <c>--resume</c> loads exactly the same split.
/// </summary>
/// <param name="Source">The file or folder read: the one given, or where a built-in dataset was found.</param>
internal sealed record LoadedData(string Title, string Source, LabeledImages Train, LabeledImages? Validation, LabeledImages? Test,
                                  IReadOnlyList<string> ClassNames, DataRequest Resolved, ImageDatasetReport? FolderReport = null)
{
    /// <summary>What the final evaluation and the report use: the test set, else the validation split.</summary>
    public LabeledImages? Evaluation => Test ?? Validation;

    /// <summary>What the validation metrics of each epoch use: the validation split, else the test set (as Keras's tutorial does).</summary>
    public LabeledImages? ValidationOrTest => Validation ?? Test;

    /// <summary>"test" or "validation": what <see cref="Evaluation"/> is, for messages and the report.</summary>
    public string EvaluationName => Test is not null ? "test" : "validation";
}
