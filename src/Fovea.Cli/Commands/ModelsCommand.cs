using System.CommandLine;
using System.Globalization;
using Fovea.Models;
using Fovea.Zoo;

namespace Fovea.Cli.Commands;

/// <summary><c>fovea models</c>: the zoo, each model with its parameters, work per image and recipe.</summary>
internal static class ModelsCommand
{
    public static Command Create()
    {
        var command = new Command("models", "List the models 'fovea train --model NAME' knows, with parameters, MACs per image and recipe");
        command.SetAction(parse => FoveaCli.Guard(parse, _ => Run()));
        return command;
    }

    private static int Run()
    {
        foreach (var zoo in ModelZoo.All)
        {
            var model = zoo.Create(new Shape(32, 32, 3), 10, 0);
            long macs = FlopCounter.InferencePerImage(model) / 2;
            Console.WriteLine($"{zoo.Name}");
            Console.WriteLine($"  {zoo.Description}");
            Console.WriteLine($"  params: {model.ParameterCount.ToString("N0", CultureInfo.InvariantCulture)} ({model.TrainableParameterCount.ToString("N0", CultureInfo.InvariantCulture)} trainable)"
                + $" - MACs per 32x32x3 image: {(macs / 1e6).ToString("F1", CultureInfo.InvariantCulture)} M");
            Console.WriteLine($"  recipe: {zoo.Recipe.Description}");
            Console.WriteLine();
        }
        // The pretrained network is built only with its weights installed, so it is described rather than counted.
        var recipe = PretrainedResNet18.Recipe;
        Console.WriteLine($"{PretrainedResNet18.Name} (--pretrained {PretrainedResNet18.ImageNet})");
        Console.WriteLine($"  {PretrainedResNet18.Description}");
        Console.WriteLine($"  source: NuGet {PretrainedResNet18.PackageId} {PretrainedResNet18.PackageVersion} - licence {PretrainedResNet18.Licence} - {PretrainedResNet18.PackageSize}"
            + (Onnx.PretrainedModels.IsResNet18Installed ? " (installed)" : $" (not installed: fovea pretrained install {PretrainedResNet18.Name})"));
        Console.WriteLine($"  recipe: {recipe.Description}");
        Console.WriteLine();
        return ExitCodes.Success;
    }
}
