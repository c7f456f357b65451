using System.Net;
using System.Net.Http.Headers;
using Fovea.Data;
using Fovea.Explain;
using Fovea.Imaging;
using Fovea.Models;
using Fovea.Visualization;

namespace Fovea.Tests.Serving;

/// <summary><c>POST /explain</c> as a client sees it: the Grad-CAM picture <c>fovea explain</c> draws, and 400s as JSON.</summary>
public class ExplainEndpointTests(DefaultServerFixture fixture) : IClassFixture<DefaultServerFixture>
{
    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    private HttpClient Client => fixture.Server.Client;

    /// <summary>What the server should answer: the model's own Grad-CAM of the decoded picture, drawn as <c>fovea explain</c> draws it.</summary>
    private static byte[] Expected(byte[] png, string name, int? classIndex = null, string? layer = null)
    {
        byte[] pixels = ImageLoader.LoadForModel(png, name, 32);
        var model = Model.Load(ServingTestModel.Path).Model;
        var cam = GradCam.Compute(model, new ImageSet(pixels, 1, 32, 32, 3), classIndex, layer);
        float[] p = cam.Probabilities.Data[..10];
        var top = Enumerable.Range(0, 10).OrderByDescending(c => p[c]).ThenBy(c => c).Take(3).Select(c => (ServingTestModel.ClassNames[c], p[c])).ToArray();
        string title = $"{name}: Grad-CAM of '{ServingTestModel.ClassNames[cam.Classes[0]]}' at {cam.Layer}";
        return GradCamPicture.Draw(pixels, 32, 32, 3, cam.Upsampled.Data.AsSpan(0, 32 * 32), title, top);
    }

    [Fact]
    public async Task A_picture_gets_the_png_of_its_grad_cam()
    {
        byte[] png = ServingTestModel.Png(seed: 31);
        using var form = new MultipartFormDataContent { { new ByteArrayContent(png), "file", "cat.png" } };
        using HttpResponseMessage response = await Client.PostAsync("/explain", form);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/png", response.Content.Headers.ContentType?.MediaType);
        byte[] answer = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(PngSignature, answer[..8]);
        Assert.Equal(Expected(png, "cat.png"), answer);
    }

    [Fact]
    public async Task The_class_and_layer_can_be_named_and_a_raw_body_is_taken()
    {
        byte[] png = ServingTestModel.Png(seed: 32);
        string layer = GradCam.ConvolutionalLayers(Model.Load(ServingTestModel.Path).Model)[0];
        using var content = new ByteArrayContent(png);
        content.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        using HttpResponseMessage response = await Client.PostAsync($"/explain?class=ship&layer={layer}", content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Expected(png, "body", classIndex: 8, layer: layer), await response.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("class=unicorn", "class 'unicorn' is not one of the model's classes")]
    [InlineData("layer=nosuch", "layer 'nosuch' is not a convolutional layer of the model")]
    public async Task An_unknown_class_or_layer_is_a_400_json_error(string query, string message)
    {
        using var form = new MultipartFormDataContent { { new ByteArrayContent(ServingTestModel.Png(seed: 33)), "file", "a.png" } };
        using HttpResponseMessage response = await Client.PostAsync("/explain?" + query, form);
        Assert.StartsWith(message, await PredictionServerTests.ErrorAsync(response, HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task A_file_that_is_not_a_picture_is_a_400_json_error()
    {
        using var form = new MultipartFormDataContent { { new StringContent("just some text, not a picture"), "file", "notes.txt" } };
        using HttpResponseMessage response = await Client.PostAsync("/explain", form);
        Assert.StartsWith("notes.txt", await PredictionServerTests.ErrorAsync(response, HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task Two_pictures_or_none_are_400_json_errors()
    {
        using var two = new MultipartFormDataContent
        {
            { new ByteArrayContent(ServingTestModel.Png(seed: 34)), "file", "a.png" },
            { new ByteArrayContent(ServingTestModel.Png(seed: 35)), "file", "b.png" },
        };
        using HttpResponseMessage response = await Client.PostAsync("/explain", two);
        Assert.Equal("explain takes one picture; got 2", await PredictionServerTests.ErrorAsync(response, HttpStatusCode.BadRequest));

        using HttpResponseMessage empty = await Client.PostAsync("/explain", new ByteArrayContent([]));
        Assert.StartsWith("the request has no picture", await PredictionServerTests.ErrorAsync(empty, HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task Explanations_are_counted_in_the_metrics()
    {
        using var form = new MultipartFormDataContent { { new ByteArrayContent(ServingTestModel.Png(seed: 36)), "file", "m.png" } };
        using (HttpResponseMessage ok = await Client.PostAsync("/explain", form)) Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        string metrics = await Client.GetStringAsync("/metrics");
        Assert.Contains("fovea_http_requests_total{path=\"/explain\",code=\"200\"}", metrics);
        Assert.Contains("fovea_explained_images_total", metrics);
        Assert.Contains("fovea_explain_duration_seconds_count", metrics);
    }

    [Fact]
    public async Task A_server_with_a_key_needs_it_for_explain_too()
    {
        await using var server = await RunningServer.StartAsync(apiKey: "sesame-key-0123456789");
        using var form = new MultipartFormDataContent { { new ByteArrayContent(ServingTestModel.Png(seed: 37)), "file", "k.png" } };
        using HttpResponseMessage refused = await server.Client.PostAsync("/explain", form);
        await PredictionServerTests.ErrorAsync(refused, HttpStatusCode.Unauthorized);

        using var again = new MultipartFormDataContent { { new ByteArrayContent(ServingTestModel.Png(seed: 37)), "file", "k.png" } };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/explain") { Content = again };
        request.Headers.Add("X-Api-Key", "sesame-key-0123456789");
        using HttpResponseMessage answered = await server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
    }
}
