using System.CommandLine;
using Fovea.Cli.Commands;

namespace Fovea.Cli;

/// <summary>The <c>fovea</c> command line: parses, dispatches, and turns failures into exit codes and one-line messages.</summary>
public static class FoveaCli
{
    public static readonly Option<bool> Verbose = new("--verbose") { Description = "Show the stack trace of internal errors", Recursive = true };

    public static int Run(string[] args)
    {
        var root = new RootCommand("Fovea: convolutional networks for image classification, on a pure C# engine.")
        {
            TrainCommand.Create(),
            EvaluateCommand.Create(),
            ShowCommand.Create(),
            PredictCommand.Create(),
            BenchCommand.Create(),
            ServeCommand.Create(),
            ModelsCommand.Create(),
            ExportCommand.Create(),
            ImportCommand.Create(),
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

    /// <summary>Runs a command body, mapping its failures to exit codes: the user's mistakes to 2 with one line, bugs to 1.</summary>
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
        catch (FoveaException e)
        {
            Console.Error.WriteLine($"error: {OneLine(e.Message)}");
            return ExitCodes.BadInput;
        }
        catch (ArgumentException e)
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

    // ArgumentException appends " (Parameter 'x')"; the one-line contract drops it.
    internal static string OneLine(string message) =>
        System.Text.RegularExpressions.Regex.Replace(message, @"\s*\(Parameter '[^']*'\)", "").ReplaceLineEndings(" ").Trim();
}
