using System.Text.Json;
using Fovea.Tests.Visualization;
using PuppeteerSharp;
using Xunit.Abstractions;

namespace Fovea.Tests.Serving;

/// <summary>
/// The page as a person uses it: Debian's Chromium (headless, driven over the DevTools protocol by PuppeteerSharp,
/// which downloads no browser when given its path) opens the server's page, a picture is chosen in the file input, and
/// the top class the page shows must be what <c>POST /predict</c> answers for the same file, and the Grad-CAM picture
/// beside the bars must be what <c>POST /explain</c> answers.
/// </summary>
public class PredictionPageBrowserTests(DefaultServerFixture fixture, ITestOutputHelper output) : IClassFixture<DefaultServerFixture>
{
    [ChromiumFact]
    public async Task A_chosen_picture_shows_the_same_top_class_as_predict()
    {
        using var temp = new Data.TempFolder();
        string picture = temp["kitten.png"];
        await File.WriteAllBytesAsync(picture, ServingTestModel.Png(seed: 31));

        await using IBrowser browser = await LaunchAsync(temp);
        await using IPage page = await browser.NewPageAsync();
        await page.SetViewportAsync(new ViewPortOptions { Width = 900, Height = 640 });
        var problems = new List<string>();
        page.Console += (_, e) => { if (e.Message.Type is ConsoleType.Error or ConsoleType.Warning) problems.Add($"console {e.Message.Type}: {e.Message.Text}"); };
        page.PageError += (_, e) => problems.Add($"page error: {e.Message}");

        IResponse response = await page.GoToAsync(fixture.Server.Address.AbsoluteUri, WaitUntilNavigation.Load);
        Assert.True(response.Ok, $"GET / answered {response.Status}");
        IElementHandle input = await page.QuerySelectorAsync("#file");
        await input.UploadFileAsync(picture);
        await page.WaitForSelectorAsync("body[data-state=done], body[data-state=error]", new WaitForSelectorOptions { Timeout = 30_000 });

        string state = await page.EvaluateExpressionAsync<string>("document.body.dataset.state");
        string status = await page.EvaluateExpressionAsync<string>("document.getElementById('status').textContent");
        Assert.True(state == "done", $"the page shows an error: {status}");
        string shown = await page.EvaluateExpressionAsync<string>("document.getElementById('top-label').textContent");
        string[] bars = await page.EvaluateExpressionAsync<string[]>("Array.from(document.querySelectorAll('#bars .row')).map(r => r.dataset.label)");
        bool previewDecoded = await page.EvaluateExpressionAsync<bool>("(() => { const i = document.getElementById('preview'); return i.complete && i.naturalWidth > 0; })()");

        string screenshot = temp["page.png"];
        await page.ScreenshotAsync(screenshot, new ScreenshotOptions { FullPage = true });
        if (Environment.GetEnvironmentVariable("FOVEA_SCREENSHOT") is { Length: > 0 } keep) File.Copy(screenshot, keep, overwrite: true);
        Assert.True(new FileInfo(screenshot).Length > 1000, "the screenshot is empty");

        using var form = new MultipartFormDataContent { { new ByteArrayContent(await File.ReadAllBytesAsync(picture)), "file", "kitten.png" } };
        using HttpResponseMessage answer = await fixture.Server.Client.PostAsync("/predict?top=5", form);
        JsonElement predictions = JsonDocument.Parse(await answer.Content.ReadAsStringAsync()).RootElement[0].GetProperty("predictions");
        string[] expected = predictions.EnumerateArray().Select(p => p.GetProperty("label").GetString()!).ToArray();
        output.WriteLine($"page shows {shown}; bars {string.Join(", ", bars)}; /predict answers {string.Join(", ", expected)}");

        Assert.Equal(expected[0], shown);
        Assert.Equal(expected, bars);
        Assert.True(previewDecoded, "the chosen picture is not shown");
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [ChromiumFact]
    public async Task A_chosen_picture_shows_its_grad_cam_beside_the_bars()
    {
        using var temp = new Data.TempFolder();
        string picture = temp["puppy.png"];
        await File.WriteAllBytesAsync(picture, ServingTestModel.Png(seed: 41));

        await using IBrowser browser = await LaunchAsync(temp);
        await using IPage page = await browser.NewPageAsync();
        await page.SetViewportAsync(new ViewPortOptions { Width = 1280, Height = 720 });
        var problems = new List<string>();
        page.Console += (_, e) => { if (e.Message.Type is ConsoleType.Error or ConsoleType.Warning) problems.Add($"console {e.Message.Type}: {e.Message.Text}"); };
        page.PageError += (_, e) => problems.Add($"page error: {e.Message}");

        IResponse response = await page.GoToAsync(fixture.Server.Address.AbsoluteUri, WaitUntilNavigation.Load);
        Assert.True(response.Ok, $"GET / answered {response.Status}");
        await (await page.QuerySelectorAsync("#file")).UploadFileAsync(picture);
        await page.WaitForSelectorAsync("body[data-heatmap=done], body[data-heatmap=error], body[data-state=error]", new WaitForSelectorOptions { Timeout = 30_000 });

        string status = await page.EvaluateExpressionAsync<string>("document.getElementById('status').textContent");
        Assert.True(await page.EvaluateExpressionAsync<string>("document.body.dataset.heatmap") == "done", $"the page shows no heatmap: {status}");
        // The overlay as the page decoded it, and where it stands against the bars.
        int[] size = await page.EvaluateExpressionAsync<int[]>("(() => { const i = document.getElementById('heatmap'); return [i.naturalWidth, i.naturalHeight]; })()");
        double[] heatmapBox = await page.EvaluateExpressionAsync<double[]>("(() => { const r = document.getElementById('heatmap').getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; })()");
        double[] barsBox = await page.EvaluateExpressionAsync<double[]>("(() => { const r = document.getElementById('bars').getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; })()");

        string screenshot = temp["page.png"];
        await page.ScreenshotAsync(screenshot, new ScreenshotOptions { FullPage = true });
        if (Environment.GetEnvironmentVariable("FOVEA_EXPLAIN_SCREENSHOT") is { Length: > 0 } keep) File.Copy(screenshot, keep, overwrite: true);

        using var form = new MultipartFormDataContent { { new ByteArrayContent(await File.ReadAllBytesAsync(picture)), "file", "puppy.png" } };
        using HttpResponseMessage answer = await fixture.Server.Client.PostAsync("/explain", form);
        using var expected = TestPictures.Decode(await answer.Content.ReadAsByteArrayAsync());
        output.WriteLine($"heatmap {size[0]}x{size[1]} at ({heatmapBox[0]:F0}, {heatmapBox[1]:F0}), {heatmapBox[2]:F0} wide; bars at ({barsBox[0]:F0}, {barsBox[1]:F0})");

        Assert.Equal((expected.Width, expected.Height), (size[0], size[1]));
        Assert.True(heatmapBox[2] > 200, $"the heatmap is drawn {heatmapBox[2]:F0} pixels wide");
        Assert.True(heatmapBox[0] > barsBox[0] + barsBox[2] - 1, "the heatmap is not beside the bars");
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    private static Task<IBrowser> LaunchAsync(Data.TempFolder temp) =>
        Puppeteer.LaunchAsync(new LaunchOptions
        {
            ExecutablePath = ReportBrowserTests.Chromium,
            Headless = true,
            UserDataDir = temp["profile"],
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run",
            ],
            Timeout = 60_000,
        });
}
