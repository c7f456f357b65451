using System.CommandLine;
using Fovea.Losses;
using Fovea.Models;
using Fovea.Optimizers;

namespace Fovea.Cli.Commands;

/// <summary><c>fovea evaluate</c>: reloads a saved model and reports its test loss and accuracy.</summary>
internal static class EvaluateCommand
{
    private static readonly Option<string> Model = new("--model") { Description = "A model.safetensors written by 'fovea train'", Required = true };
    private static readonly Option<string?> Data = new("--data") { Description = "CIFAR-10 binary (default: the downloaded copy in ~/.fovea/datasets)" };
    private static readonly Option<int> BatchSize = new("--batch-size") { Description = "Samples per forward pass", DefaultValueFactory = _ => 64 };
    private static readonly Option<int?> Threads = new("--threads") { Description = "Worker threads (default: all cores)" };

    public static Command Create()
    {
        var command = new Command("evaluate", "Evaluate a saved model on the CIFAR-10 test set") { Model, Data, BatchSize, Threads };
        command.SetAction(parse => FoveaCli.Guard(parse, ct => Run(parse, ct)));
        return command;
    }

    private static int Run(ParseResult parse, CancellationToken ct)
    {
        CommonOptions.ApplyThreads(parse.GetValue(Threads));
        int batchSize = parse.GetValue(BatchSize);
        if (batchSize < 1) throw new ArgumentException($"--batch-size must be at least 1; got {batchSize}");
        var saved = Fovea.Models.Model.Load(parse.GetValue(Model)!);
        var data = DataResolver.Load(parse.GetValue(Data), trainLimit: 0, ct);
        saved.Model.Compile(new Adam(), new SparseCategoricalCrossentropy(), ["accuracy"]);
        var result = saved.Model.Evaluate(data.Test.Images, data.Test.Labels, batchSize);
        Console.WriteLine($"test_loss: {result.Loss:F4} - test_accuracy: {result.Accuracy:F4}");
        return ExitCodes.Success;
    }
}
