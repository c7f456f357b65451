using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Fovea.Tests.Serving;

/// <summary>The server as a client sees it: a real Kestrel on loopback, real pictures, the real model.</summary>
public class PredictionServerTests(DefaultServerFixture fixture) : IClassFixture<DefaultServerFixture>
{
    private HttpClient Client => fixture.Server.Client;

    [Fact]
    public async Task A_picture_as_a_multipart_field_gets_the_models_own_top_classes()
    {
        byte[] png = ServingTestModel.Png(seed: 11);
        float[] expected = ServingTestModel.Predict(png);

        using var form = new MultipartFormDataContent { { new ByteArrayContent(png), "file", "cat.png" } };
        using HttpResponseMessage response = await Client.PostAsync("/predict?top=10", form);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        JsonElement result = Assert.Single(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.EnumerateArray());
        Assert.Equal("cat.png", result.GetProperty("file").GetString());
        JsonElement[] predictions = result.GetProperty("predictions").EnumerateArray().ToArray();
        Assert.Equal(10, predictions.Length);
        Assert.Equal(ServingTestModel.ClassNames[ServingTestModel.ArgMax(expected)], predictions[0].GetProperty("label").GetString());
        foreach (JsonElement p in predictions)
        {
            int c = Array.IndexOf(ServingTestModel.ClassNames, p.GetProperty("label").GetString());
            Assert.Equal(expected[c], p.GetProperty("probability").GetSingle(), 5);
        }
    }

    [Fact]
    public async Task A_picture_as_the_raw_body_gets_the_default_three_classes()
    {
        byte[] png = ServingTestModel.Png(seed: 12);
        float[] expected = ServingTestModel.Predict(png);

        using var content = new ByteArrayContent(png);
        content.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        using HttpResponseMessage response = await Client.PostAsync("/predict", content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonElement result = Assert.Single(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.EnumerateArray());
        Assert.Equal("body", result.GetProperty("file").GetString());
        JsonElement[] predictions = result.GetProperty("predictions").EnumerateArray().ToArray();
        Assert.Equal(3, predictions.Length);
        Assert.Equal(ServingTestModel.ClassNames[ServingTestModel.ArgMax(expected)], predictions[0].GetProperty("label").GetString());
    }

    [Fact]
    public async Task Several_file_fields_are_answered_in_order()
    {
        byte[] first = ServingTestModel.Png(seed: 21), second = ServingTestModel.Png(seed: 22);
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(first), "file", "first.png" },
            { new StringContent("ignored"), "note" },
            { new ByteArrayContent(second), "file", "second.png" },
        };
        using HttpResponseMessage response = await Client.PostAsync("/predict?top=1", form);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonElement[] results = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.EnumerateArray().ToArray();
        Assert.Equal(["first.png", "second.png"], results.Select(r => r.GetProperty("file").GetString()));
        Assert.Equal(ServingTestModel.ClassNames[ServingTestModel.ArgMax(ServingTestModel.Predict(second))],
            results[1].GetProperty("predictions")[0].GetProperty("label").GetString());
    }

    [Fact]
    public async Task A_file_that_is_not_a_picture_is_refused_with_400_and_a_json_error()
    {
        using var form = new MultipartFormDataContent { { new StringContent("just some text, not a picture"), "file", "notes.txt" } };
        using HttpResponseMessage response = await Client.PostAsync("/predict", form);

        string error = await ErrorAsync(response, HttpStatusCode.BadRequest);
        Assert.StartsWith("notes.txt: not a supported image", error);
    }

    [Fact]
    public async Task An_empty_body_is_refused_with_400()
    {
        using HttpResponseMessage response = await Client.PostAsync("/predict", new ByteArrayContent([]));
        Assert.Contains("the request has no picture", await ErrorAsync(response, HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task A_truncated_picture_is_refused_with_400()
    {
        byte[] png = ServingTestModel.Png(seed: 13);
        using HttpResponseMessage response = await Client.PostAsync("/predict", new ByteArrayContent(png[..(png.Length / 2)]));
        Assert.StartsWith("body: ", await ErrorAsync(response, HttpStatusCode.BadRequest));
    }

    [Theory]
    [InlineData(6_000, "more than a file of")]         // 36 megapixels claimed by a file of a few dozen bytes
    [InlineData(100_000, "megapixels are refused")]     // 10 gigapixels
    public async Task A_decompression_bomb_is_refused_with_400_before_it_is_decoded(int side, string reason)
    {
        using HttpResponseMessage response = await Client.PostAsync("/predict", new ByteArrayContent(BombPng(side)));
        Assert.Contains(reason, await ErrorAsync(response, HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task A_body_declared_over_10_MB_is_refused_with_413_before_it_is_sent()
    {
        // As curl does for large uploads, the client waits for "100 Continue"; the server answers 413 instead.
        using var request = new HttpRequestMessage(HttpMethod.Post, "/predict") { Content = new ByteArrayContent(new byte[10 * 1024 * 1024 + 1]) };
        request.Headers.ExpectContinue = true;
        using HttpResponseMessage response = await Client.SendAsync(request);
        Assert.Contains("over 10,485,760 bytes", await ErrorAsync(response, HttpStatusCode.RequestEntityTooLarge));
    }

    [Fact]
    public async Task A_chunked_body_over_10_MB_is_refused_with_413()
    {
        // No Content-Length: the limit is found while reading. One byte over, so the server has read it all when it answers.
        using var content = new StreamContent(new MemoryStream(new byte[10 * 1024 * 1024 + 1]));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/predict") { Content = content };
        request.Headers.TransferEncodingChunked = true;
        using HttpResponseMessage response = await Client.SendAsync(request);
        Assert.Contains("over 10,485,760 bytes", await ErrorAsync(response, HttpStatusCode.RequestEntityTooLarge));
    }

    [Theory]
    [InlineData("0", "top must be between 1 and the model's 10 classes; got 0")]
    [InlineData("11", "top must be between 1 and the model's 10 classes; got 11")]
    [InlineData("three", "top must be a whole number; got 'three'")]
    [InlineData("-1", "top must be a whole number; got '-1'")]
    public async Task A_bad_top_is_refused_with_400_naming_it(string top, string message)
    {
        using HttpResponseMessage response = await Client.PostAsync($"/predict?top={top}", new ByteArrayContent(ServingTestModel.Png(seed: 1)));
        Assert.Equal(message, await ErrorAsync(response, HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task A_malformed_multipart_body_is_refused_with_400()
    {
        using var content = new StringContent("--xyz\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nno closing boundary", Encoding.UTF8);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data; boundary=xyz");
        using HttpResponseMessage response = await Client.PostAsync("/predict", content);
        await ErrorAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_form_without_a_file_field_is_refused_with_400()
    {
        using var form = new MultipartFormDataContent { { new ByteArrayContent(ServingTestModel.Png(seed: 2)), "picture", "a.png" } };
        using HttpResponseMessage response = await Client.PostAsync("/predict", form);
        Assert.Contains("no field 'file'", await ErrorAsync(response, HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task Probes_answer_and_metrics_count_requests_errors_latency_and_batches()
    {
        using (await Client.PostAsync("/predict", new ByteArrayContent(ServingTestModel.Png(seed: 3)))) { }
        using (await Client.PostAsync("/predict", new ByteArrayContent([1, 2, 3]))) { }

        using HttpResponseMessage health = await Client.GetAsync("/healthz");
        using HttpResponseMessage ready = await Client.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("ready", (await ready.Content.ReadAsStringAsync()).Trim());

        using HttpResponseMessage response = await Client.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        string metrics = await response.Content.ReadAsStringAsync();
        Assert.Contains("# TYPE fovea_http_requests_total counter", metrics);
        Assert.Matches(@"fovea_http_requests_total\{path=""/predict"",code=""200""\} [1-9]", metrics);
        Assert.Matches(@"fovea_http_requests_total\{path=""/readyz"",code=""200""\} [1-9]", metrics);
        Assert.Matches(@"fovea_predict_errors_total\{reason=""bad_image""\} [1-9]", metrics);
        Assert.Contains("# TYPE fovea_http_request_duration_seconds histogram", metrics);
        Assert.Matches(@"fovea_http_request_duration_seconds_count\{path=""/predict""\} [1-9]", metrics);
        Assert.Contains("# TYPE fovea_batch_size histogram", metrics);
        Assert.Matches(@"fovea_batch_size_bucket\{le=""64""\} [1-9]", metrics);
        Assert.Matches(@"fovea_predicted_images_total [1-9]", metrics);
        Assert.Contains("fovea_model_ready 1", metrics);
        Assert.Contains("fovea_queue_length ", metrics);
        Assert.Contains("process_cpu_seconds_total", metrics);
    }

    [Fact]
    public async Task The_page_is_self_contained_under_a_strict_content_security_policy()
    {
        using HttpResponseMessage response = await Client.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        string csp = string.Join(' ', response.Headers.GetValues("Content-Security-Policy"));
        Assert.StartsWith("default-src 'none'; script-src 'sha256-", csp);
        Assert.Contains("connect-src 'self'", csp);
        string html = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("http://", html);
        Assert.DoesNotContain("https://", html);
        Assert.Contains("data-top=\"5\"", html);
    }

    [Fact]
    public async Task Unknown_paths_and_methods_are_not_served()
    {
        using HttpResponseMessage missing = await Client.GetAsync("/nothing-here");
        using HttpResponseMessage get = await Client.GetAsync("/predict");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, get.StatusCode);
    }

    internal static async Task<string> ErrorAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"expected {(int)expected}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using JsonDocument json = JsonDocument.Parse(body);
        return json.RootElement.GetProperty("error").GetString()!;
    }

    /// <summary>
    /// A valid PNG whose header claims <paramref name="side"/> x <paramref name="side"/> RGB pixels, with a few bytes of
    /// image data: believing the header would allocate side² x 4 bytes before finding the data missing.
    /// </summary>
    internal static byte[] BombPng(int side)
    {
        var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, side);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), side);
        header[8] = 8; // bit depth
        header[9] = 2; // RGB
        Chunk(png, "IHDR", header);
        Chunk(png, "IDAT", [0x78, 0x9C, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01]); // zlib of one zero byte
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream png, string type, byte[] data)
    {
        var length = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        png.Write(length);
        byte[] typeAndData = [.. Encoding.ASCII.GetBytes(type), .. data];
        png.Write(typeAndData);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(typeAndData));
        png.Write(crc);
    }

    /// <summary>PNG's CRC-32 (ISO 3309, reflected polynomial 0xEDB88320), bit by bit.</summary>
    private static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
        }
        return ~crc;
    }
}
