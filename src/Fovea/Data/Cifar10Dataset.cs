namespace Fovea.Data;

/// <summary>
/// CIFAR-10 loaded in memory: 50,000 training and 10,000 test images, 32x32x3, and the 10 class names.
/// An <see cref="LabeledDataset"/> like any other; the name stays so that code written for it keeps compiling
/// (new code can take <see cref="LabeledDataset"/> and so any dataset).
/// </summary>
public sealed record Cifar10Dataset(LabeledImages Train, LabeledImages Test, IReadOnlyList<string> ClassNames)
    : LabeledDataset(Train, Test, ClassNames);
