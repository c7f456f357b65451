using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Fovea.Serving;

/// <summary>
/// Checks the key a client presents (<c>X-Api-Key: KEY</c> or <c>Authorization: Bearer KEY</c>) in constant time:
/// both sides are hashed to 32 bytes first, so neither the position of the first wrong byte nor the key's length
/// shows in the time taken.
/// </summary>
internal sealed class ApiKeyCheck(string key)
{
    private readonly byte[] _expected = SHA256.HashData(Encoding.UTF8.GetBytes(key));

    public bool Allows(HttpRequest request)
    {
        string? presented = Presented(request);
        if (presented is null) return false;
        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), _expected);
    }

    private static string? Presented(HttpRequest request)
    {
        if (request.Headers.TryGetValue("X-Api-Key", out var key) && key.Count == 1) return key[0];
        string? authorization = request.Headers.Authorization;
        const string bearer = "Bearer ";
        return authorization is not null && authorization.StartsWith(bearer, StringComparison.OrdinalIgnoreCase)
            ? authorization[bearer.Length..].Trim()
            : null;
    }
}
