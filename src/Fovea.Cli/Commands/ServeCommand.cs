using System.CommandLine;
using Fovea.Serving;

namespace Fovea.Cli.Commands;

/// <summary>
/// <c>fovea serve</c>: answers predictions over HTTP until Ctrl+C or SIGTERM. A thin shell over
/// <see cref="PredictionServer"/>; see docs/deploy.md for probes and scaling out.
/// </summary>
internal static class ServeCommand
{
    /// <summary>Read when --api-key is not given, so the key need not show in the process list.</summary>
    public const string ApiKeyVariable = "FOVEA_API_KEY";

    private static readonly Option<string> Model = new("--model") { Description = "A model.safetensors written by 'fovea train'", Required = true };
    private static readonly Option<string> Urls = new("--urls")
    {
        Description = "Addresses to listen on, separated by ';' (http://0.0.0.0:8080 for all interfaces, port 0 for any free port)",
        DefaultValueFactory = _ => ServerOptions.DefaultUrl,
    };
    private static readonly Option<string?> ApiKey = new("--api-key") { Description = $"Require this key on POST /predict and POST /explain (X-Api-Key or Authorization: Bearer); default: ${ApiKeyVariable}" };
    private static readonly Option<int> MaxBatch = new("--max-batch") { Description = "Most images per forward pass", DefaultValueFactory = _ => 64 };
    private static readonly Option<int> MaxWaitMs = new("--max-wait-ms") { Description = "How long a batch waits for more images, in milliseconds", DefaultValueFactory = _ => 5 };
    private static readonly Option<int> Queue = new("--queue") { Description = "Images waiting at most; beyond, requests get 503 with Retry-After", DefaultValueFactory = _ => 1024 };
    private static readonly Option<int?> Threads = new("--threads") { Description = "Worker threads for the forward pass (default: all cores)" };

    public static Command Create()
    {
        var command = new Command("serve", "Serve a saved model over HTTP: POST /predict, POST /explain (Grad-CAM), a page at /, /healthz, /readyz, /metrics")
        {
            Model, Urls, ApiKey, MaxBatch, MaxWaitMs, Queue, Threads,
        };
        command.SetAction(parse => FoveaCli.Guard(parse, ct => Run(parse, ct)));
        return command;
    }

    private static int Run(ParseResult parse, CancellationToken cancellation)
    {
        CommonOptions.ApplyThreads(parse.GetValue(Threads));
        int maxWait = parse.GetValue(MaxWaitMs);
        if (maxWait < 0) throw new FoveaUsageException($"--max-wait-ms must be at least 0; got {maxWait}");
        var options = new ServerOptions
        {
            ModelPath = parse.GetValue(Model)!,
            Urls = parse.GetValue(Urls)!.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            ApiKey = parse.GetValue(ApiKey) ?? NullIfEmpty(Environment.GetEnvironmentVariable(ApiKeyVariable)),
            MaxBatch = parse.GetValue(MaxBatch),
            MaxWait = TimeSpan.FromMilliseconds(maxWait),
            QueueCapacity = parse.GetValue(Queue),
            LogToConsole = true,
        };
        // The options come from the command line: what ServerOptions refuses is the user's mistake.
        FoveaCli.FromUserInput(() =>
        {
            options.Validate();
            return options;
        });

        PredictionServer server = PredictionServer.StartAsync(options, cancellation).GetAwaiter().GetResult();
        try
        {
            Console.WriteLine($"serving {options.ModelPath}: {server.ClassNames.Count} classes, {server.InputShape[0]}x{server.InputShape[1]} {(server.InputShape[2] == 1 ? "grayscale" : "RGB")} input" +
                              (options.ApiKey is null ? "" : ", API key required on /predict"));
            foreach (Uri address in server.Addresses) Console.WriteLine($"listening on {address}");
            Console.WriteLine("press Ctrl+C to stop");
            try
            {
                server.WaitForShutdownAsync(cancellation).GetAwaiter().GetResult();
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C or SIGTERM: the normal way a server is stopped.
            }
            Console.WriteLine("stopping: finishing requests in flight");
        }
        finally
        {
            server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        return ExitCodes.Success;
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
