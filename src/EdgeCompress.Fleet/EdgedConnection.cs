using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using EdgeCompress.Protocol;

namespace EdgeCompress.Fleet;

/// <summary>
/// The transport under <see cref="EdgedClient"/>: one HttpClient per device with the bearer token, TLS pinned to the
/// registered certificate fingerprint (trust on first use when none is pinned yet, like SSH), per-request timeouts,
/// and the one place that turns socket, TLS and HTTP failures into one-line <see cref="FleetException"/>s.
/// </summary>
public abstract class EdgedConnection : IDisposable
{
    private readonly HttpClient _http;
    private string? _presentedFingerprint;
    private bool _mismatch;

    /// <summary>Opens a connection to <paramref name="device"/>; reads its token file (a usage problem when missing).</summary>
    protected EdgedConnection(DeviceEntry device, TimeSpan requestTimeout)
    {
        ArgumentNullException.ThrowIfNull(device);
        Device = device;
        RequestTimeout = requestTimeout;
        BaseUri = new Uri(DeviceEntry.NormalizeUrl(device.Url) + "/");
        var handler = new SocketsHttpHandler
        {
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            ConnectTimeout = requestTimeout,
            AutomaticDecompression = DecompressionMethods.None,
        };
        handler.SslOptions.RemoteCertificateValidationCallback = CheckCertificate;
        _http = new HttpClient(handler) { BaseAddress = BaseUri, Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ReadToken(device));
    }

    /// <summary>The device talked to.</summary>
    public DeviceEntry Device { get; }

    /// <summary>The daemon's base address.</summary>
    public Uri BaseUri { get; }

    /// <summary>How long a short request may take before the device counts as unreachable.</summary>
    public TimeSpan RequestTimeout { get; }

    /// <summary>The fingerprint the daemon presented (display form), once a TLS handshake happened.</summary>
    public string? PresentedFingerprint => _presentedFingerprint;

    /// <summary>The underlying client, for subclasses.</summary>
    protected HttpClient Http => _http;

    /// <summary>The base URL as the user registered it, for messages.</summary>
    protected string Url => DeviceEntry.NormalizeUrl(Device.Url);

    /// <summary>
    /// Runs <paramref name="operation"/> (request and reading of its answer) under <paramref name="timeout"/>, mapping
    /// every transport failure to a one-line problem naming the device and URL.
    /// </summary>
    protected async Task<T> ExecuteAsync<T>(Func<CancellationToken, Task<T>> operation, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(operation);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            return await operation(deadline.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (Translate(ex, timeout, cancellationToken) is { } problem)
        {
            throw problem;
        }
    }

    /// <summary>Maps a transport exception to a <see cref="FleetException"/>; null for the caller's own cancellation
    /// and for problems that are already translated.</summary>
    protected FleetException? Translate(Exception exception, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (exception is FleetException || cancellationToken.IsCancellationRequested)
        {
            return null;
        }

        if (_mismatch)
        {
            return new FleetException(FleetProblem.FingerprintMismatch,
                $"WARNING: the TLS certificate of device '{Device.Name}' ({Url}) has changed: pinned SHA-256 {Device.FingerprintSha256}, " +
                $"presented {_presentedFingerprint}; refusing to connect (if edged was reinstalled on purpose, run `edgec devices remove {Device.Name}` and add it again)",
                exception);
        }

        var seconds = timeout.TotalSeconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);
        return exception switch
        {
            OperationCanceledException or TimeoutException =>
                new FleetException(FleetProblem.Unreachable, $"device '{Device.Name}' unreachable: no answer from {Url} within {seconds} s", exception),
            HttpRequestException { InnerException: SocketException socket } =>
                new FleetException(FleetProblem.Unreachable, $"device '{Device.Name}' unreachable: cannot connect to {Url} ({socket.Message})", exception),
            HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError } =>
                new FleetException(FleetProblem.Unreachable, $"device '{Device.Name}': TLS handshake with {Url} failed ({Innermost(exception)})", exception),
            HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError } =>
                new FleetException(FleetProblem.Unreachable, $"device '{Device.Name}' unreachable: cannot connect to {Url} ({Innermost(exception)})", exception),
            HttpRequestException or IOException =>
                new FleetException(FleetProblem.Unreachable, $"device '{Device.Name}' unreachable: connection to {Url} lost ({Innermost(exception)})", exception),
            _ => null,
        };
    }

    /// <summary>Throws the problem an error answer stands for: 401 explained, otherwise the daemon's own detail.</summary>
    protected async Task EnsureSuccessAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        if (response.StatusCode == HttpStatusCode.Unauthorized)
        {
            throw new FleetException(FleetProblem.Unauthorized,
                $"token rejected by {Device.Name} ({Url}): check --token-file (the registry uses {Device.TokenFile})");
        }

        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        string detail;
        try
        {
            detail = JsonSerializer.Deserialize(body, ProtocolJsonContext.Default.ProblemResponse)?.Detail ?? body;
        }
        catch (JsonException)
        {
            detail = body.Length > 200 ? body[..200] : body;
        }

        throw new FleetException(FleetProblem.Remote,
            $"{Device.Name}: {what} failed: {(int)response.StatusCode} {detail.ReplaceLineEndings(" ").Trim()}");
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Disposes the HTTP client.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            _http.Dispose();
        }
    }

    private bool CheckCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null)
        {
            return false;
        }

        // The daemon's certificate is self-signed, so the chain cannot be trusted; the pinned fingerprint is the trust.
        var presented = DeviceEntry.DisplayFingerprint(Convert.ToHexString(certificate.GetCertHash(HashAlgorithmName.SHA256)));
        _presentedFingerprint = presented;
        if (Device.FingerprintSha256 is not { Length: > 0 } pinned)
        {
            return true;
        }

        _mismatch = DeviceEntry.CompactFingerprint(pinned) != DeviceEntry.CompactFingerprint(presented);
        return !_mismatch;
    }

    private static string ReadToken(DeviceEntry device)
    {
        try
        {
            var token = File.ReadAllText(device.TokenFile).Trim();
            if (token.Length == 0)
            {
                throw new FleetException($"token file {device.TokenFile} of device '{device.Name}' is empty");
            }

            return token;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new FleetException($"token file {device.TokenFile} of device '{device.Name}' cannot be read: {ex.Message}", ex);
        }
    }

    private static string Innermost(Exception exception)
    {
        while (exception.InnerException is not null)
        {
            exception = exception.InnerException;
        }

        return exception.Message.ReplaceLineEndings(" ").Trim();
    }
}
