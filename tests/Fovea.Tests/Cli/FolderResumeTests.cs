using System.Diagnostics;
using Fovea.Tests.Data;

namespace Fovea.Tests.Cli;

/// <summary>
/// A folder run killed after its first epoch and resumed holds out the same validation pictures and ends with exactly
/// the weights of a run that was never interrupted: the split (the default 0.2, by --seed) is saved in the checkpoint.
/// </summary>
[Collection(TimingSensitiveCollection.Name)]
public class FolderResumeTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly string[] _settings;

    public FolderResumeTests()
    {
        string photos = _temp["photos"];
        PictureDataset.Write(photos, perClass: 30);
        // 64x64 on one thread makes an epoch take long enough to stop the run between two checkpoints.
        _settings = ["--data", photos, "--image-size", "64", "--epochs", "5", "--batch-size", "8", "--threads", "1", "--seed", "9"];
    }

    public void Dispose() => _temp.Dispose();

    private string Home => _temp["home"];

    private static string UsingLine(string stdout) => stdout.Split('\n').Single(l => l.StartsWith("Using ", StringComparison.Ordinal)).Trim();

    /// <summary>Starts a run and kills it as soon as its first checkpoint is on disk; tries again if it finished first.</summary>
    private string Killed()
    {
        for (int attempt = 1; ; attempt++)
        {
            string run = _temp[$"killed-{attempt}"];
            string[] argv = ["train", .. _settings, "--out", run];
            string args = string.Join(' ', argv.Select(a => $"'{a}'"));
            string script = $"""
                dotnet '{FoveaProcess.Dll}' {args} >'{run}.out' 2>&1 & pid=$!
                while [ ! -f '{run}/checkpoint.safetensors' ] && kill -0 $pid 2>/dev/null; do sleep 0.005; done
                kill -KILL $pid; wait $pid; echo $?
                """;
            var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, UseShellExecute = false };
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add(script);
            info.Environment["FOVEA_HOME"] = Home;
            using var shell = Process.Start(info)!;
            shell.StandardOutput.ReadToEnd();
            Assert.True(shell.WaitForExit(TimeSpan.FromMinutes(3)));
            bool finished = File.Exists(Path.Combine(run, "model.safetensors"));
            if (finished && attempt < 4) continue;
            Assert.False(finished, $"the run finished before it could be stopped, {attempt} times");
            Assert.True(File.Exists(Path.Combine(run, "checkpoint.safetensors")), File.ReadAllText(run + ".out"));
            return run;
        }
    }

    [Fact]
    public void Resume_holds_out_the_same_pictures_and_ends_with_the_uninterrupted_weights()
    {
        string reference = _temp["uninterrupted"];
        var (code, stdout, stderr) = FoveaProcess.Run(Home, ["train", .. _settings, "--out", reference]);
        Assert.True(code == 0, stderr + stdout);
        string split = UsingLine(stdout);
        Assert.Equal("Using 75 files for training, 18 for validation.", split);

        string killed = Killed();
        var resumed = FoveaProcess.Run(Home, "train", "--resume", killed);
        Assert.True(resumed.ExitCode == 0, resumed.Stderr + resumed.Stdout);
        Assert.Contains("resuming", resumed.Stdout);
        Assert.Equal(split, UsingLine(resumed.Stdout));
        byte[] expected = File.ReadAllBytes(Path.Combine(reference, "model.safetensors"));
        byte[] actual = File.ReadAllBytes(Path.Combine(killed, "model.safetensors"));
        Assert.True(expected.AsSpan().SequenceEqual(actual), "the resumed run's model.safetensors differs from the uninterrupted run's");
    }

    [Fact]
    public void Resume_refuses_new_data_options()
    {
        string killed = Killed();
        var (code, _, stderr) = FoveaProcess.Run(Home, "train", "--resume", killed, "--validation-split", "0.5");
        Assert.Equal(2, code);
        Assert.Equal("error: --resume continues with the run's saved settings; drop --validation-split", stderr.Trim());
    }
}
