using System.CommandLine;
using Fovea.Onnx;

namespace Fovea.Cli.Commands;

/// <summary>
/// <c>fovea import</c>: reads an ONNX model into a Fovea model file that <c>fovea predict</c>, <c>evaluate</c>,
/// <c>show</c> and <c>Model.Load</c> read. The model takes images channels-last ([N, H, W, C]) in whatever range the
/// ONNX graph took. A graph with nodes that have no Fovea form is refused in one line naming them all (exit 2).
/// </summary>
internal static class ImportCommand
{
    private static readonly Option<string> Onnx = new("--onnx") { Description = "The ONNX model to read", Required = true };
    private static readonly Option<string> Out = new("--out") { Description = "Model file to write (.safetensors, replaced atomically if it exists)", Required = true };
    private static readonly Option<string?> InputShape = new("--input-shape")
    {
        Description = "The input's size per sample, channels last (e.g. 160,160,3): fixes sizes the file leaves open, or runs a globally pooled network at another size",
    };
    private static readonly Option<string?> ClassNames = new("--class-names") { Description = "A text file with one class name per line, in output order" };

    public static Command Create()
    {
        var command = new Command("import", "Read an ONNX model into a Fovea model file") { Onnx, Out, InputShape, ClassNames };
        command.SetAction(parse => FoveaCli.Guard(parse, _ => Run(parse)));
        return command;
    }

    private static int Run(ParseResult parse)
    {
        string path = Path.GetFullPath(parse.GetValue(Out)!);
        if (Directory.Exists(path)) throw new ArgumentException($"--out must name a file; got the folder {path}");
        var model = OnnxImporter.Load(parse.GetValue(Onnx)!, parse.GetValue(InputShape) is { } shape ? ParseShape(shape) : null);
        var names = parse.GetValue(ClassNames) is { } file ? ReadClassNames(file, model.OutputShape[^1]) : null;
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FoveaException($"{path}: cannot create its folder: {e.Message}", e);
        }
        model.Save(path, names);
        Console.WriteLine(path);
        return ExitCodes.Success;
    }

    private static Shape ParseShape(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var dims = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out dims[i]) || dims[i] is < 1 or > 65536)
                throw new ArgumentException($"--input-shape must be 1 to 3 sizes in [1, 65536] separated by commas (160,160,3); got '{text}'");
        if (dims.Length is < 1 or > 3) throw new ArgumentException($"--input-shape must be 1 to 3 sizes separated by commas (160,160,3); got '{text}'");
        return new Shape(dims);
    }

    /// <summary>One non-empty name per line (blank lines at the end ignored), as many as the model has outputs.</summary>
    private static List<string> ReadClassNames(string file, int outputs)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FoveaException($"--class-names {file}: cannot read: {e.Message}", e);
        }
        var names = lines.Select(l => l.Trim()).Reverse().SkipWhile(l => l.Length == 0).Reverse().ToList();
        if (names.Count != outputs || names.Any(n => n.Length == 0))
            throw new FoveaException($"--class-names {file}: {names.Count} names{(names.Any(n => n.Length == 0) ? " (some empty)" : "")}; the model has {outputs} outputs, one non-empty name a line is needed");
        return names;
    }
}
