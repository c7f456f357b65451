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
    private readonly Func<Stream, CancellationToken, Task> _respond;
    private readonly Task _accepting;
    private int _requests;

    private LocalHttpServer(Func<Stream, CancellationToken, Task> respond)
    {
        _respond = respond;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public Uri Url => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/cifar-10-binary.tar.gz");

    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Answers 200 with <paramref name="body"/>; <paramref name="sendOnly"/> bytes of it are sent before the connection is closed.</summary>
    public static LocalHttpServer Serving(byte[] body, int? sendOnly = null) => new(async (stream, ct) =>
    {
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: application/gzip\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n"), ct);
        await stream.WriteAsync(body.AsMemory(0, sendOnly ?? body.Length), ct);
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
    public static Uri Unreachable()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return new Uri($"http://127.0.0.1:{port}/cifar-10-binary.tar.gz");
    }

    private async Task AcceptAsync()
    {
        var connections = new List<Task>();
        try
        {
            while (true) connections.Add(ServeAsync(await _listener.AcceptTcpClientAsync(_stop.Token)));
        }
        catch (OperationCanceledException)
        {
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
                await ReadRequestHeadAsync(stream, _stop.Token);
                Interlocked.Increment(ref _requests);
                await _respond(stream, _stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException)
            {
                // The client gave up or the test ended.
            }
        }
    }

    // Reads up to the blank line that ends the request head, so closing the socket sends FIN, not RST over unread bytes.
    private static async Task ReadRequestHeadAsync(Stream stream, CancellationToken ct)
    {
        var head = new List<byte>();
        byte[] one = new byte[1];
        while (!(head.Count >= 4 && head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n'))
        {
            if (await stream.ReadAsync(one, ct) == 0) throw new IOException("client closed before finishing its request");
            head.Add(one[0]);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
