using System.CommandLine;
using Fovea.Onnx;

namespace Fovea.Cli.Commands;

/// <summary>
/// <c>fovea export</c>: writes a saved model as a standard ONNX model (opset 17) for ONNX Runtime and other engines:
/// input <c>images</c> [N, H, W, C] in [0, 1], output <c>probabilities</c> [N, classes], class names in its metadata.
/// A model with a layer that has no ONNX form is refused by the layer's name (exit 2).
/// </summary>
internal static class ExportCommand
{
    private static readonly Option<string> Model = new("--model") { Description = "A model.safetensors written by 'fovea train'", Required = true };
    private static readonly Option<string> Onnx = new("--onnx") { Description = "ONNX file to write (replaced atomically if it exists)", Required = true };

    public static Command Create()
    {
        var command = new Command("export", "Write a saved model as an ONNX model") { Model, Onnx };
        command.SetAction(parse => FoveaCli.Guard(parse, _ => Run(parse)));
        return command;
    }

    private static int Run(ParseResult parse)
    {
        string path = Path.GetFullPath(parse.GetValue(Onnx)!);
        if (Directory.Exists(path)) throw new FoveaUsageException($"--onnx must name a file; got the folder {path}");
        var saved = Fovea.Models.Model.Load(parse.GetValue(Model)!);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FoveaException($"{path}: cannot create its folder: {e.Message}", e);
        }
        OnnxExporter.Save(saved.Model, path, saved.ClassNames);
        Console.WriteLine(path);
        return ExitCodes.Success;
    }
}
