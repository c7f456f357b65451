using System.CommandLine;
using Fovea.Cli.Commands;

namespace Fovea.Cli;

/// <summary>The <c>fovea</c> command line: parses, dispatches, and turns failures into exit codes and one-line messages.</summary>
public static class FoveaCli
{
    public static readonly Option<bool> Verbose = new("--verbose") { Description = "Show the stack trace of internal errors", Recursive = true };

    /// <summary>The line saying which kernel tuning this process runs with (<see cref="KernelTuning.ApplyForThisMachine"/>,
    /// which the program calls before anything else; in-process callers such as tests run the defaults).</summary>
    public static string Tuning { get; set; } = "tuning: defaults (no tuning file read in this process)";

    public static int Run(string[] args)
    {
        var root = new RootCommand("Fovea: convolutional networks for image classification, on a pure C# engine.")
        {
            TrainCommand.Create(),
            EvaluateCommand.Create(),
            ShowCommand.Create(),
            PredictCommand.Create(),
            ExplainCommand.Create(),
            LrFindCommand.Create(),
            BenchCommand.Create(),
            ServeCommand.Create(),
            ModelsCommand.Create(),
            PretrainedCommand.Create(),
            ExportCommand.Create(),
            ImportCommand.Create(),
            TuneCommand.Create(),
        };
        root.Options.Add(Verbose);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            // Some parser messages list choices on lines of their own; the one-line contract joins them.
            Console.Error.WriteLine($"error: {System.Text.RegularExpressions.Regex.Replace(parse.Errors[0].Message, @"\s*\n\s*", " ").Trim()} (see 'fovea --help')");
            return ExitCodes.BadInput;
        }
        return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
    }

    /// <summary>
    /// Runs a command body, mapping its failures to exit codes by meaning: a <see cref="FoveaUsageException"/> (the
    /// user's mistake) to 2 with one line, anything else (a bug, an <see cref="ArgumentException"/> included) to 1 as an
    /// internal error, with the stack trace under --verbose.
    /// </summary>
    public static int Guard(ParseResult parse, Func<CancellationToken, int> body)
    {
        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cancel.Cancel(); };
        Console.CancelKeyPress += onCancel;
        using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(
            System.Runtime.InteropServices.PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; cancel.Cancel(); });
        try
        {
            return body(cancel.Token);
        }
        catch (FoveaUsageException e)
        {
            Console.Error.WriteLine($"error: {OneLine(e.Message)}");
            return ExitCodes.BadInput;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("interrupted");
            return ExitCodes.Interrupted;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine(parse.GetValue(Verbose)
                ? $"internal error: {e}"
                : $"internal error: {OneLine(e.Message)} ({e.GetType().Name}; run with --verbose for the stack trace)");
            return ExitCodes.InternalError;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    /// <summary>
    /// A library call whose arguments come straight from the user's options or data (a model name, a folder's picture
    /// size): an <see cref="ArgumentException"/> it throws is the user's mistake, said in one line, not a bug.
    /// </summary>
    internal static T FromUserInput<T>(Func<T> call)
    {
        try
        {
            return call();
        }
        catch (ArgumentException e)
        {
            throw new FoveaUsageException(OneLine(e.Message), e);
        }
    }

    // ArgumentException appends " (Parameter 'x')"; the one-line contract drops it.
    internal static string OneLine(string message) =>
        System.Text.RegularExpressions.Regex.Replace(message, @"\s*\(Parameter '[^']*'\)", "").ReplaceLineEndings(" ").Trim();
}
