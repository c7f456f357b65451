using System.Net;
using System.Text.Json;
using Fovea.Data;
using Fovea.Imaging;
using Fovea.Models;
using Fovea.Serving;
using Fovea.Zoo;
using TempFolder = Fovea.Tests.Data.TempFolder;

namespace Fovea.Tests.Serving;

/// <summary>A model of non-square grayscale pictures (Fashion-MNIST's shape, or a folder trained with --color grayscale
/// --image-size 20x12) is served like an RGB one: uploads become its own input shape.</summary>
public class GrayscaleServingTests
{
    [Fact]
    public async Task A_grayscale_non_square_model_answers_what_it_predicts_itself()
    {
        using var temp = new TempFolder();
        string path = temp["gray.safetensors"];
        string[] classes = ["a", "b", "c", "d"];
        Model model = ModelZoo.Get("tutorial").Create(new Shape(20, 12, 1), classes.Length, seed: 3);
        model.Save(path, classes);

        var rgb = new byte[40 * 24 * 3];
        new Random(5).NextBytes(rgb);
        byte[] png = ImageLoader.EncodePng(rgb, 24, 40);
        File.WriteAllBytes(temp["upload.png"], png);
        byte[] pixels = ImageLoader.Load(temp["upload.png"], 20, 12, ColorMode.Grayscale);
        float[] expected = model.Predict(new ImageSet(pixels, 1, 20, 12, 1)).Data;

        await using var server = await PredictionServer.StartAsync(new ServerOptions { ModelPath = path, Urls = ["http://127.0.0.1:0"] });
        Assert.Equal(new Shape(20, 12, 1), server.InputShape);
        using var client = new HttpClient { BaseAddress = server.Addresses.Single() };
        using var form = new MultipartFormDataContent { { new ByteArrayContent(png), "file", "shirt.png" } };
        using HttpResponseMessage response = await client.PostAsync("/predict?top=4", form);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonElement result = Assert.Single(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.EnumerateArray());
        foreach (JsonElement p in result.GetProperty("predictions").EnumerateArray())
        {
            int c = Array.IndexOf(classes, p.GetProperty("label").GetString());
            Assert.Equal(expected[c], p.GetProperty("probability").GetSingle(), 5);
        }
    }
}
