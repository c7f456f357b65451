using System.CommandLine;
using System.Diagnostics;
using Fovea.Onnx;
using Fovea.Zoo;

namespace Fovea.Cli.Commands;

/// <summary>
/// <c>fovea pretrained</c>: the pretrained networks and whether their weights are installed; <c>install NAME</c>
/// restores the NuGet package that carries them with NuGet's own client (<c>dotnet restore</c> of a throwaway project
/// that references the package without using any of its assets), into NuGet's global packages folder.
/// </summary>
internal static class PretrainedCommand
{
    private static readonly Argument<string> Name = new("name") { Description = "The pretrained network: " + PretrainedResNet18.Name };

    public static Command Create()
    {
        var list = new Command("list", "List the pretrained networks, their source, licence and size, and whether they are installed");
        list.SetAction(parse => FoveaCli.Guard(parse, _ => List()));
        var install = new Command("install", "Download a pretrained network's weights into NuGet's global packages folder") { Name };
        install.SetAction(parse => FoveaCli.Guard(parse, _ => Install(parse.GetValue(Name)!)));
        var command = new Command("pretrained", "Pretrained networks for fine-tuning (fovea train --model resnet18 --pretrained imagenet)") { list, install };
        command.SetAction(parse => FoveaCli.Guard(parse, _ => List()));
        return command;
    }

    private static int List()
    {
        Console.WriteLine($"{PretrainedResNet18.Name} ({PretrainedResNet18.ImageNet}): NuGet {PretrainedResNet18.PackageId} {PretrainedResNet18.PackageVersion}, licence {PretrainedResNet18.Licence}, {PretrainedResNet18.PackageSize}"
            + (PretrainedModels.IsResNet18Installed ? $", installed in {PretrainedModels.NuGetPackagesFolder}" : $", not installed: fovea pretrained install {PretrainedResNet18.Name}"));
        return ExitCodes.Success;
    }

    private static int Install(string name)
    {
        if (name != PretrainedResNet18.Name) throw new FoveaUsageException($"name must be {PretrainedResNet18.Name}; got '{name}'");
        if (PretrainedModels.IsResNet18Installed)
        {
            Console.WriteLine($"{PretrainedResNet18.PackageId} {PretrainedResNet18.PackageVersion} is already in {PretrainedModels.NuGetPackagesFolder}");
            return ExitCodes.Success;
        }
        string folder = Directory.CreateTempSubdirectory("fovea-pretrained-").FullName;
        try
        {
            string project = Path.Combine(folder, "restore.csproj");
            File.WriteAllText(project, $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup><TargetFramework>netstandard2.0</TargetFramework></PropertyGroup>
                  <ItemGroup><PackageReference Include="{PretrainedResNet18.PackageId}" Version="{PretrainedResNet18.PackageVersion}" ExcludeAssets="all" /></ItemGroup>
                </Project>
                """);
            Console.WriteLine($"restoring {PretrainedResNet18.PackageId} {PretrainedResNet18.PackageVersion} ({PretrainedResNet18.PackageSize}) with dotnet restore into {PretrainedModels.NuGetPackagesFolder}");
            var start = new ProcessStartInfo("dotnet", ["restore", project, "--verbosity", "quiet"]) { WorkingDirectory = folder };
            using var process = Process.Start(start) ?? throw new FoveaException("could not start 'dotnet restore'");
            process.WaitForExit();
            if (process.ExitCode != 0 || !PretrainedModels.IsResNet18Installed)
                throw new FoveaException($"dotnet restore of {PretrainedResNet18.PackageId} failed (exit {process.ExitCode}); the messages above say why");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new FoveaUsageException($"'dotnet' is needed to restore {PretrainedResNet18.PackageId}: {e.Message}");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
        Console.WriteLine($"installed: {PretrainedModels.ResNet18File}");
        return ExitCodes.Success;
    }
}
