using System.Reflection;

namespace Fovea.Tests.Onnx;

/// <summary>
/// The ImageNet ResNet-18 that the NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18 ships (MIT; a CNTK export at
/// opset 8): restore puts it in NuGet's packages folder, and the build records that folder in the test assembly.
/// </summary>
internal static class ResNet18Package
{
    public static string Folder =>
        typeof(ResNet18Package).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "ResNet18Package").Value
        ?? throw new InvalidOperationException("the test assembly does not record the ResNet-18 package's folder");

    /// <summary>Input <c>Input247</c> float [1, 3, 224, 224] (BGR, 0–255 less the mean image); output <c>Pooling395_Output_0</c> [1, 512, 1, 1].</summary>
    public static string Model => Path.Combine(Folder, "tools", "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx");

    /// <summary>RGB 0–255 [1, 3, 224, 224] to the network's input: channels reordered to BGR, a mean image subtracted.</summary>
    public static string Preprocess => Path.Combine(Folder, "tools", "DnnImageModels", "ResNetPrepOnnx", "ResNetPreprocess.onnx");

    public const string InputName = "Input247";
    public const string OutputName = "Pooling395_Output_0";
}
