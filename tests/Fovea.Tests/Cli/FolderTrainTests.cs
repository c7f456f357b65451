using System.Text.Json;
using Fovea.Imaging;
using Fovea.Tests.Data;
using Fovea.Tests.Imaging;

namespace Fovea.Tests.Cli;

/// <summary>
/// <c>fovea train</c>, <c>predict</c>, <c>evaluate</c> and <c>show</c> on a folder of the user's own pictures and on an
/// IDX dataset, run as a user would, each with its own FOVEA_HOME (so its own image cache).
/// </summary>
public class FolderTrainTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private (int ExitCode, string Stdout, string Stderr) Fovea(params string[] args) => FoveaProcess.Run(_temp["home"], args);

    private static string[] Lines(string text) => text.Trim().Split('\n').Select(l => l.TrimEnd('\r')).ToArray();

    [Fact]
    public void A_folder_of_mixed_pictures_trains_reports_the_skipped_files_and_predict_names_its_classes()
    {
        string photos = _temp["photos"];
        var pictures = PictureDataset.Write(photos, perClass: 10);
        string run = _temp["run"];

        var (code, stdout, stderr) = Fovea("train", "--data", photos, "--epochs", "2", "--batch-size", "8", "--out", run, "--threads", "2");

        Assert.True(code == 0, stderr + stdout);
        // 33 readable pictures and the 2 bad ones; README.txt and labels.csv are not pictures and not counted.
        Assert.Contains("Found 35 files belonging to 3 classes.", stdout);
        Assert.Contains("Skipped 2 that could not be read:", stdout);
        string[] skipped = Lines(stdout).SkipWhile(l => !l.StartsWith("Skipped ", StringComparison.Ordinal)).Skip(1)
            .TakeWhile(l => l.StartsWith("  ", StringComparison.Ordinal)).Select(l => l.Trim().Split(':')[0]).ToArray();
        Assert.Equal(PictureDataset.BadFiles, skipped);
        // No test/ folder: 0.2 of each class is held out (2 of 11, 2 of 11, 2 of 11) and is also the test set.
        Assert.Contains("Using 27 files for training, 6 for validation.", stdout);
        Assert.Contains("x_train shape: (27, 32, 32, 3)", stdout);
        Assert.Contains("x_val shape: (6, 32, 32, 3)", stdout);
        Assert.Matches(@"test_loss: \d\.\d{4} - test_accuracy: \d\.\d{4} \(on the validation split: there is no test set\)", stdout);
        foreach (var f in new[] { "model.safetensors", "report.html", "confusion.png", "samples.png", "predictions.png" })
            Assert.True(File.Exists(Path.Combine(run, f)), $"{f} is missing");
        Assert.Matches(@"(?m)^time: training [\d.]+ s, validation [\d.]+ s, test [\d.]+ s$", stdout);
        using (var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "metrics.json"))))
        {
            var root = metrics.RootElement;
            Assert.Equal(PictureDataset.Classes, root.GetProperty("per_class_accuracy").EnumerateObject().Select(p => p.Name).Order());
            // Two validation passes over 6 pictures, inside the fit's time; the test pass after it.
            double fit = root.GetProperty("train_seconds").GetDouble(), validation = root.GetProperty("validation_seconds").GetDouble();
            Assert.InRange(validation, double.Epsilon, fit);
            Assert.True(root.GetProperty("test_seconds").GetDouble() > 0);
        }

        string[] some = [pictures[0], pictures[12], pictures[^1], pictures[^3]];
        var predict = Fovea(["predict", "--model", Path.Combine(run, "model.safetensors"), "--top", "3", .. some]);
        Assert.True(predict.ExitCode == 0, predict.Stderr);
        string[] lines = Lines(predict.Stdout);
        Assert.Equal(some.Length, lines.Length);
        for (int i = 0; i < some.Length; i++)
        {
            Assert.StartsWith(some[i] + ": ", lines[i]);
            string[] labels = lines[i][(some[i].Length + 2)..].Split(", ").Select(p => p[..p.LastIndexOf(' ')]).ToArray();
            Assert.Equal(PictureDataset.Classes, labels.Order());
        }
    }

    [Fact]
    public void Grayscale_non_square_pictures_train_and_predict_evaluate_and_show_take_the_same_shape()
    {
        string photos = _temp["photos"];
        var pictures = PictureDataset.Write(photos, perClass: 6);
        string run = _temp["run"];

        var (code, stdout, stderr) = Fovea("train", "--data", photos, "--image-size", "24x20", "--color", "grayscale", "--validation-split", "0.3",
            "--epochs", "1", "--batch-size", "8", "--out", run, "--seed", "4");

        Assert.True(code == 0, stderr + stdout);
        Assert.Contains("x_train shape: (15, 24, 20, 1)", stdout);
        Assert.Contains("x_val shape: (6, 24, 20, 1)", stdout);
        string testLine = Lines(stdout).Single(l => l.StartsWith("test_loss: ", StringComparison.Ordinal));

        string model = Path.Combine(run, "model.safetensors");
        var predict = Fovea("predict", "--model", model, "--top", "1", pictures[0], pictures[^2]);
        Assert.True(predict.ExitCode == 0, predict.Stderr);
        Assert.All(Lines(predict.Stdout), l => Assert.Matches(@": (blue|green|red) \d\.\d\d$", l));

        // The model's own shape, and the run's split by its seed: the same validation images, the same figures.
        var evaluate = Fovea("evaluate", "--model", model, "--data", photos, "--validation-split", "0.3", "--seed", "4", "--tta", "Mirror");
        Assert.True(evaluate.ExitCode == 0, evaluate.Stderr);
        Assert.Contains("6 validation images of photos, test-time augmentation Mirror", evaluate.Stdout);
        var plain = Fovea("evaluate", "--model", model, "--data", photos, "--validation-split", "0.3", "--seed", "4", "--batch-size", "8");
        Assert.Equal(testLine[..testLine.IndexOf(" (", StringComparison.Ordinal)], Lines(plain.Stdout)[^1]);

        var wrongShape = Fovea("evaluate", "--model", model, "--data", photos, "--image-size", "32");
        Assert.Equal(2, wrongShape.ExitCode);
        Assert.Contains("takes images of shape (24, 20, 1)", Assert.Single(Lines(wrongShape.Stderr)));

        string png = _temp["grid.png"];
        var show = Fovea("show", "--data", photos, "--color", "grayscale", "--image-size", "24x20", "--out", png, "--count", "6");
        Assert.True(show.ExitCode == 0, show.Stderr);
        Assert.Equal(png, show.Stdout.Trim());
        Assert.Contains("Found 23 files belonging to 3 classes.", show.Stderr);
    }

    [Theory]
    [InlineData("empty class", "class folder 'dogs' holds no pictures")]
    [InlineData("one class", "found only one class folder ('cats'); a classifier needs at least two")]
    [InlineData("no pictures", "no class folders found")]
    [InlineData("unreadable class", "class 'dogs' has no readable pictures")]
    public void A_folder_that_cannot_train_is_one_line_and_exit_code_2(string problem, string message)
    {
        string photos = _temp["photos"];
        switch (problem)
        {
            case "empty class":
                PictureFolder.Write(photos, "cats/a.png", PictureFolder.GreyPng(8, 8, 10));
                Directory.CreateDirectory(Path.Combine(photos, "dogs"));
                break;
            case "one class":
                PictureFolder.Write(photos, "cats/a.png", PictureFolder.GreyPng(8, 8, 10));
                PictureFolder.Write(photos, "cats/b.png", PictureFolder.GreyPng(8, 8, 20));
                break;
            case "no pictures":
                PictureFolder.Write(photos, "notes.txt", "nothing here");
                break;
            default:
                PictureFolder.Write(photos, "cats/a.png", PictureFolder.GreyPng(8, 8, 10));
                PictureFolder.Write(photos, "dogs/a.png", "not a picture");
                break;
        }

        var (code, stdout, stderr) = Fovea("train", "--data", photos, "--epochs", "1", "--out", _temp["run"]);

        Assert.Equal(2, code);
        Assert.Contains(message, Assert.Single(Lines(stderr)));
        Assert.StartsWith("error: ", stderr);
        Assert.DoesNotContain("   at ", stderr + stdout);
        Assert.False(Directory.Exists(_temp["run"]), "a run folder was left behind by a run that never started");
    }

    [Theory]
    [InlineData(new[] { "--image-size", "0" }, "--image-size must be a side such as 64 or HEIGHTxWIDTH such as 64x48")]
    [InlineData(new[] { "--image-size", "64x" }, "--image-size must be a side such as 64 or HEIGHTxWIDTH such as 64x48")]
    [InlineData(new[] { "--validation-split", "1" }, "--validation-split must be in [0, 1); got 1")]
    [InlineData(new[] { "--color", "sepia" }, "--color must be rgb or grayscale; got 'sepia'")]
    [InlineData(new[] { "--dataset", "imagenet" }, "--dataset must be one of cifar10, fashion-mnist, mnist; got 'imagenet'")]
    [InlineData(new[] { "--dataset", "mnist", "--image-size", "32" }, "--image-size applies to a folder of pictures")]
    public void Bad_data_options_are_exit_code_2(string[] options, string message)
    {
        var (code, _, stderr) = Fovea(["train", "--data", _temp["photos"], .. options, "--out", _temp["run"]]);
        Assert.Equal(2, code);
        Assert.Contains(message, Assert.Single(Lines(stderr)));
    }

    [Fact]
    public void Options_for_folders_are_refused_for_an_idx_folder()
    {
        string idx = new FakeIdx { TrainCount = 8, TestCount = 4 }.Write(_temp["idx"], gzip: false);
        var (code, _, stderr) = Fovea("train", "--data", idx, "--color", "rgb", "--out", _temp["run"]);
        Assert.Equal(2, code);
        Assert.Equal($"error: --color applies to a folder of pictures; {idx} holds MNIST, whose images are 28x28 grayscale", stderr.Trim());
    }

    [Fact]
    public void Fashion_mnist_from_an_idx_folder_trains_the_tutorial_model_for_one_epoch()
    {
        string idx = new FakeIdx { TrainCount = 64, TestCount = 16 }.Write(_temp["idx"], gzip: false);
        string run = _temp["run"];

        var (code, stdout, stderr) = Fovea("train", "--dataset", "fashion-mnist", "--data", idx, "--epochs", "1", "--out", run);

        Assert.True(code == 0, stderr + stdout);
        Assert.Contains($"Fashion-MNIST: 64 training and 16 test images in 10 classes, from {idx}.", stdout);
        Assert.Contains("x_train shape: (64, 28, 28, 1)", stdout);
        Assert.Contains("x_test shape: (16, 28, 28, 1)", stdout);
        // 320 + 18,496 + (5·5·64 = 1,600 inputs → 64) 102,464 + 650: the tutorial CNN sized for 28x28x1.
        Assert.Contains("Total params: 121,930", stdout);
        Assert.Contains("Epoch 1/1", stdout);
        Assert.Matches(@"test_loss: \d\.\d{4} - test_accuracy: \d\.\d{4}", stdout);

        // The model file names Fashion-MNIST's classes, which predict prints.
        string picture = _temp["boot.png"];
        ImageLoader.SavePng(new byte[28 * 28 * 3], 28, 28, picture);
        var predict = Fovea("predict", "--model", Path.Combine(run, "model.safetensors"), "--top", "10", picture);
        Assert.True(predict.ExitCode == 0, predict.Stderr);
        Assert.Contains("Ankle boot", predict.Stdout);
        Assert.Contains("T-shirt/top", predict.Stdout);
    }

    [Fact]
    public void An_idx_folder_is_recognised_by_its_content_and_named_by_its_path()
    {
        string idx = new FakeIdx { TrainCount = 16, TestCount = 8 }.Write(_temp["my-fashion-data"], gzip: false);
        var (code, stdout, stderr) = Fovea("train", "--data", idx, "--epochs", "1", "--limit", "10", "--out", _temp["run"]);
        Assert.True(code == 0, stderr + stdout);
        Assert.Contains("Fashion-MNIST: 10 training and 8 test images in 10 classes", stdout);
    }
}
