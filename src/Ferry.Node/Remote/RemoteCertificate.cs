using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Ferry.Node.Hosting;

namespace Ferry.Node.Remote;

/// <summary>
/// The certificate of the remote access listener: a PFX/PKCS#12 file (password in FERRY_CERTIFICATE_PASSWORD when it
/// has one) or a PEM file holding the certificate and its key (or the key beside it, same name with .key) — on Linux a
/// path where Windows takes a thumbprint. Without one, the node makes a self-signed ECDSA certificate in its data dir;
/// callers pin it by the SHA-256 fingerprint dmgcmd prints.
/// </summary>
public static class RemoteCertificate
{
    public const string PasswordVariable = "FERRY_CERTIFICATE_PASSWORD";

    public static string SelfSignedPath(NodeDataDirectory dir) => Path.Combine(dir.Path, "remote-access.pfx");

    public static X509Certificate2 Load(string path)
    {
        try
        {
            if (path.EndsWith(".pem", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".crt", StringComparison.OrdinalIgnoreCase))
            {
                var keyPath = Path.ChangeExtension(path, ".key");
                using var pem = File.Exists(keyPath) ? X509Certificate2.CreateFromPemFile(path, keyPath) : X509Certificate2.CreateFromPemFile(path);
                // Kestrel on some platforms needs the key in a PKCS#12 container rather than an ephemeral PEM import.
                return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
            }
            return X509CertificateLoader.LoadPkcs12FromFile(path, Environment.GetEnvironmentVariable(PasswordVariable));
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new NodeSetupException($"The remote access certificate '{path}' cannot be loaded: {e.Message}. Give a PFX (password in " +
                                         $"{PasswordVariable}) or a PEM with its private key, or run dmgcmd -EnableRemoteAccess without one for a self-signed certificate.");
        }
    }

    /// <summary>A self-signed certificate for the machine's name, written owner-only to the data dir.</summary>
    public static string CreateSelfSigned(NodeDataDirectory dir)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={Environment.MachineName}, O=Ferry node", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(Environment.MachineName);
        names.AddDnsName("localhost");
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddYears(5));
        var path = SelfSignedPath(dir);
        OwnerOnlyFile.Write(path, certificate.Export(X509ContentType.Pkcs12));
        return path;
    }

    /// <summary>SHA-256 of the certificate, hex: what callers pin.</summary>
    public static string Fingerprint(X509Certificate2 certificate) => Convert.ToHexString(certificate.GetCertHash(HashAlgorithmName.SHA256));
}
