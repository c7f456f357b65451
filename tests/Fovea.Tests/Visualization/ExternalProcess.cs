using System.Diagnostics;

namespace Fovea.Tests.Visualization;

/// <summary>Runs a child process to completion with a time limit, capturing its output.</summary>
internal static class ExternalProcess
{
    public sealed record Result(int ExitCode, string StandardOutput, string StandardError);

    public static Result Run(string fileName, IEnumerable<string> arguments, TimeSpan timeout, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null) start.Environment.Remove(name);
            else start.Environment[name] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {fileName}");
        process.StandardInput.Close();
        // Read both streams concurrently: a child blocked on a full stderr pipe would never exit.
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw new TimeoutException($"{fileName} did not finish within {timeout.TotalSeconds:0} s; stderr so far:\n{Tail(stderr)}");
        }
        process.WaitForExit(); // flushes the redirected streams
        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }

    private static string Tail(Task<string> text) => text.IsCompletedSuccessfully ? text.Result[^Math.Min(text.Result.Length, 4000)..] : "(not available)";
}
