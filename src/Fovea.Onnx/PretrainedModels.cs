using Fovea.Models;

namespace Fovea.Onnx;

/// <summary>
/// Pretrained networks for fine-tuning: <c>resnet18</c> with <c>imagenet</c> weights read from the NuGet package
/// that ships them (<see cref="ResNet18PackageId"/>, in NuGet's global packages folder), or any ONNX file
/// of a feature extractor with the same input convention (BGR, 0–255 less the ImageNet channel means; one vector of
/// features out).
/// </summary>
public static class PretrainedModels
{
    /// <summary>The NuGet package that carries the ImageNet ResNet-18 and its version.</summary>
    public const string ResNet18PackageId = "Microsoft.ML.DnnImageFeaturizer.ResNet18", ResNet18PackageVersion = "0.24.0";

    /// <summary>What <c>--pretrained</c> names for the package's weights.</summary>
    public const string ImageNet = "imagenet";

    /// <summary>NuGet's global packages folder: <c>NUGET_PACKAGES</c>, else <c>~/.nuget/packages</c>, as NuGet decides.</summary>
    public static string NuGetPackagesFolder =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } folder ? folder
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    /// <summary>Where the ImageNet ResNet-18's ONNX file is once its package is restored.</summary>
    public static string ResNet18File => Path.Combine(NuGetPackagesFolder, ResNet18PackageId.ToLowerInvariant(),
        ResNet18PackageVersion, "tools", "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx");

    /// <summary>Whether the ImageNet ResNet-18's package is in NuGet's global packages folder.</summary>
    public static bool IsResNet18Installed => File.Exists(ResNet18File);

    /// <summary>
    /// The ONNX file <paramref name="pretrained"/> names: <c>imagenet</c> (the package's ResNet-18) or a path. Refuses
    /// with a <see cref="FoveaUsageException"/> (one line) when the weights are missing.
    /// </summary>
    public static string ResolveFile(string pretrained)
    {
        ArgumentNullException.ThrowIfNull(pretrained);
        string file;
        if (pretrained == ImageNet)
        {
            file = ResNet18File;
            if (!File.Exists(file))
                throw new FoveaUsageException($"the ImageNet weights of resnet18 are not installed ({ResNet18PackageId} {ResNet18PackageVersion} is not in {NuGetPackagesFolder}): run 'fovea pretrained install resnet18'");
        }
        else
        {
            file = Path.GetFullPath(pretrained);
            if (!File.Exists(file)) throw new FoveaUsageException($"--pretrained must be '{ImageNet}' or an ONNX file; {file} does not exist");
        }
        return file;
    }

    /// <summary>Imports the extractor in <paramref name="file"/> for pictures of <paramref name="inputShape"/>; it must give one vector per picture.</summary>
    public static Model LoadFeatures(string file, Shape inputShape)
    {
        var features = OnnxImporter.Load(file, inputShape);
        if (features.OutputShape.Rank != 1)
            throw new InvalidDataFileException($"{file}: a feature extractor must give one vector per picture; it gives {features.OutputShape}");
        return features;
    }
}
