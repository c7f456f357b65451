using Fovea.Tests.Data;

namespace Fovea.Tests.Cli;

/// <summary>
/// A folder run stopped inside its second epoch and resumed holds out the same validation pictures and ends with
/// exactly the weights of a run that was never interrupted: the split (the default 0.2, by --seed) is saved in the
/// checkpoint. The run stops itself after a chosen step (<c>FOVEA_STOP_AFTER_STEP</c>), not on a timer.
/// </summary>
public class FolderResumeTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly string[] _settings;

    public FolderResumeTests()
    {
        string photos = _temp["photos"];
        PictureDataset.Write(photos, perClass: 30);
        // 75 training pictures in batches of 8: 10 steps an epoch.
        _settings = ["--data", photos, "--image-size", "32", "--epochs", "2", "--batch-size", "8", "--threads", "1", "--seed", "9"];
    }

    public void Dispose() => _temp.Dispose();

    private string Home => _temp["home"];

    private static string UsingLine(string stdout) => stdout.Split('\n').Single(l => l.StartsWith("Using ", StringComparison.Ordinal)).Trim();

    /// <summary>Starts a run that stops itself 4 steps into its second epoch, with a checkpoint.</summary>
    private string Stopped()
    {
        string run = _temp["stopped"];
        var (code, stdout, stderr) = FoveaProcess.Run(Home, ["train", .. _settings, "--out", run], new Dictionary<string, string> { ["FOVEA_STOP_AFTER_STEP"] = "14" });
        Assert.True(code == 130, $"exit {code}: {stderr}{stdout}");
        Assert.Contains("interrupted after epoch 1, step 4:", stderr);
        Assert.False(File.Exists(Path.Combine(run, "model.safetensors")));
        return run;
    }

    [Fact]
    public void Resume_holds_out_the_same_pictures_and_ends_with_the_uninterrupted_weights()
    {
        string reference = _temp["uninterrupted"];
        var (code, stdout, stderr) = FoveaProcess.Run(Home, ["train", .. _settings, "--out", reference]);
        Assert.True(code == 0, stderr + stdout);
        string split = UsingLine(stdout);
        Assert.Equal("Using 75 files for training, 18 for validation.", split);

        string stopped = Stopped();
        var resumed = FoveaProcess.Run(Home, "train", "--resume", stopped);
        Assert.True(resumed.ExitCode == 0, resumed.Stderr + resumed.Stdout);
        Assert.Contains("resuming", resumed.Stdout);
        Assert.Equal(split, UsingLine(resumed.Stdout));
        byte[] expected = File.ReadAllBytes(Path.Combine(reference, "model.safetensors"));
        byte[] actual = File.ReadAllBytes(Path.Combine(stopped, "model.safetensors"));
        Assert.True(expected.AsSpan().SequenceEqual(actual), "the resumed run's model.safetensors differs from the uninterrupted run's");
    }

    [Fact]
    public void Resume_refuses_new_data_options()
    {
        string stopped = Stopped();
        var (code, _, stderr) = FoveaProcess.Run(Home, "train", "--resume", stopped, "--validation-split", "0.5");
        Assert.Equal(2, code);
        Assert.Equal("error: --resume continues with the run's saved settings; drop --validation-split", stderr.Trim());
    }
}
