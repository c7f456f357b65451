using Fovea.Layers;
using Fovea.Models;
using Fovea.Onnx;
using Fovea.Tests.Data;

namespace Fovea.Tests.Cli;

/// <summary>
/// <c>fovea train --model resnet18 --pretrained FILE.onnx</c> on a few pictures trains the recipe's ensemble (as many
/// networks as its budget allows, up to five) unless <c>--ensemble</c> says otherwise; a tiny ONNX feature extractor
/// stands in for the ImageNet network.
/// </summary>
public class PretrainedEnsembleTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly string _data, _extractor;

    public PretrainedEnsembleTests()
    {
        _data = _temp["photos"];
        PictureDataset.Write(_data, perClass: 4);
        var input = new Input(new Shape(32, 32, 3));
        var x = new Conv2D(4, (3, 3), strides: (2, 2), activation: Activation.Relu).Call(input);
        var features = new Model(input, new GlobalAveragePooling2D().Call(x)) { Seed = 5 };
        features.Build();
        _extractor = _temp["extractor.onnx"];
        OnnxExporter.Save(features, _extractor);
    }

    public void Dispose() => _temp.Dispose();

    private (int Code, string Stdout, string Stderr) Train(string run, params string[] extra) =>
        FoveaProcess.Run(_temp["home"], ["train", "--data", _data, "--model", "resnet18", "--pretrained", _extractor, "--epochs", "2", "--threads", "2", "--out", run, .. extra]);

    [Fact]
    public void Few_pictures_train_the_recipes_ensemble()
    {
        string run = _temp["run"];
        var (code, stdout, stderr) = Train(run);
        Assert.True(code == 0, stderr + stdout);
        Assert.Matches(@"ensemble: 5 networks from seeds 0 to 4, their probabilities averaged \(the recipe's for \d+ training pictures; --ensemble 1 trains one\)", stdout);
        Assert.Equal(5, Directory.GetFiles(Path.Combine(run, "members"), "member-*.safetensors").Length);
        Assert.IsType<Average>(Model.Load(Path.Combine(run, "model.safetensors")).Model.Layers[^1]);
    }

    [Fact]
    public void Ensemble_one_trains_one_network()
    {
        string run = _temp["single"];
        var (code, stdout, stderr) = Train(run, "--ensemble", "1");
        Assert.True(code == 0, stderr + stdout);
        Assert.DoesNotContain("ensemble:", stdout);
        Assert.False(Directory.Exists(Path.Combine(run, "members")));
        Assert.IsType<Dense>(Model.Load(Path.Combine(run, "model.safetensors")).Model.Layers[^1]);
    }
}
