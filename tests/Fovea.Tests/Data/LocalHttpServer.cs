using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Fovea.Tests.Data;

/// <summary>
/// A one-route HTTP/1.1 server on 127.0.0.1 over a raw socket, so a test controls every byte, including a
/// Content-Length that promises more than is sent. Each connection gets one response and is closed.
/// </summary>
internal sealed class LocalHttpServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Func<Stream, string, CancellationToken, Task> _respond;
    private readonly Task _accepting;
    private int _requests;

    private LocalHttpServer(Func<Stream, CancellationToken, Task> respond) : this((stream, _, ct) => respond(stream, ct)) { }

    /// <summary>A server whose answer depends on the request's path (e.g. "/train-labels-idx1-ubyte.gz").</summary>
    private LocalHttpServer(Func<Stream, string, CancellationToken, Task> respond)
    {
        _respond = respond;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public Uri Url => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/cifar-10-binary.tar.gz");

    /// <summary>The server's root, for a source that names a folder of files.</summary>
    public Uri BaseUrl => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");

    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Answers 200 with <paramref name="body"/>; <paramref name="sendOnly"/> bytes of it are sent before the connection is closed.</summary>
    public static LocalHttpServer Serving(byte[] body, int? sendOnly = null) => new(async (stream, ct) =>
    {
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: application/gzip\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n"), ct);
        await stream.WriteAsync(body.AsMemory(0, sendOnly ?? body.Length), ct);
    });

    /// <summary>Answers 200 with the file named by the request's path, 404 for any other path.</summary>
    public static LocalHttpServer ServingFiles(IReadOnlyDictionary<string, byte[]> files) => new(async (stream, path, ct) =>
    {
        if (!files.TryGetValue(path.TrimStart('/'), out byte[]? body))
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"), ct);
            return;
        }
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: application/gzip\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n"), ct);
        await stream.WriteAsync(body, ct);
    });

    public static LocalHttpServer Status(int code, string reason) => new(async (stream, ct) =>
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 {code} {reason}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"), ct));

    /// <summary>Sends the headers and a few bytes, then goes silent until disposed.</summary>
    public static LocalHttpServer Stalling(int length) => new(async (stream, ct) =>
    {
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n"), ct);
        await stream.WriteAsync(new byte[10], ct);
        await Task.Delay(Timeout.Infinite, ct);
    });

    /// <summary>A URL on 127.0.0.1 where nothing listens: connecting is refused at once.</summary>
    public static Uri Unreachable() => new(UnreachableFolder(), "cifar-10-binary.tar.gz");

    /// <summary>A folder URL on 127.0.0.1 where nothing listens.</summary>
    public static Uri UnreachableFolder()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return new Uri($"http://127.0.0.1:{port}/");
    }

    private async Task AcceptAsync()
    {
        var connections = new List<Task>();
        try
        {
            while (true) connections.Add(ServeAsync(await _listener.AcceptTcpClientAsync(_stop.Token)));
        }
        catch (Exception ex) when (ex is OperationCanceledException || _stop.IsCancellationRequested)
        {
            // Stopping: a loop between two accepts meets a listener already stopped ("Not listening"), not the token.
        }
        await Task.WhenAll(connections);
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                Stream stream = client.GetStream();
                string path = await ReadRequestHeadAsync(stream, _stop.Token);
                Interlocked.Increment(ref _requests);
                await _respond(stream, path, _stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException)
            {
                // The client gave up or the test ended.
            }
        }
    }

    // Reads up to the blank line that ends the request head, so closing the socket sends FIN, not RST over unread bytes;
    // returns the request line's path.
    private static async Task<string> ReadRequestHeadAsync(Stream stream, CancellationToken ct)
    {
        var head = new List<byte>();
        byte[] one = new byte[1];
        while (!(head.Count >= 4 && head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n'))
        {
            if (await stream.ReadAsync(one, ct) == 0) throw new IOException("client closed before finishing its request");
            head.Add(one[0]);
        }
        string[] requestLine = Encoding.ASCII.GetString(head.ToArray()).Split("\r\n")[0].Split(' ');
        return requestLine.Length > 1 ? requestLine[1] : "";
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
