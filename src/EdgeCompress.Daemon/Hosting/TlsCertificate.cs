using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EdgeCompress.Daemon.Hosting;

/// <summary>
/// The daemon's TLS identity: a self-signed ECDSA P-256 certificate generated on first start and kept in the store,
/// so its SHA-256 fingerprint stays stable and clients can pin it (like SSH known_hosts).
/// </summary>
public sealed class TlsCertificate
{
    private TlsCertificate(X509Certificate2 certificate, bool created)
    {
        Certificate = certificate;
        Created = created;
        FingerprintSha256 = Convert.ToHexString(certificate.GetCertHash(HashAlgorithmName.SHA256));
    }

    /// <summary>The certificate with its private key. Owned by this object for the daemon's lifetime.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>True when generated on this start.</summary>
    public bool Created { get; }

    /// <summary>Upper-case hex SHA-256 of the DER certificate.</summary>
    public string FingerprintSha256 { get; }

    /// <summary>The fingerprint as colon-separated byte pairs, the way browsers and openssl print it.</summary>
    public string FingerprintDisplay => string.Join(':', Enumerable.Range(0, FingerprintSha256.Length / 2).Select(i => FingerprintSha256.Substring(i * 2, 2)));

    /// <summary>Loads the PKCS#12 file or creates it.</summary>
    public static TlsCertificate LoadOrCreate(string path)
    {
        try
        {
            if (File.Exists(path))
            {
                return new TlsCertificate(X509CertificateLoader.LoadPkcs12FromFile(path, password: null), created: false);
            }

            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var subject = new X500DistinguishedName($"CN=edged {Environment.MachineName}");
            var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
            var names = new SubjectAlternativeNameBuilder();
            names.AddDnsName(Environment.MachineName);
            names.AddDnsName("localhost");
            names.AddIpAddress(System.Net.IPAddress.Loopback);
            request.CertificateExtensions.Add(names.Build());
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
            using var generated = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(20));
            var pfx = generated.Export(X509ContentType.Pkcs12);
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            var temp = path + ".tmp";
            using (var stream = new FileStream(temp, new FileStreamOptions
            {
                Mode = FileMode.Create,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            }))
            {
                stream.Write(pfx);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
            return new TlsCertificate(X509CertificateLoader.LoadPkcs12(pfx, password: null), created: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new StartupException($"TLS certificate {path}: {ex.Message}", ex);
        }
    }
}
