using System.Security.Cryptography.X509Certificates;
using OpenChat.Hosting;

namespace OpenChat.Server;

/// <summary>
/// <c>dotnet OpenChat.Server.dll cluster-cert --out cluster.pfx [--days N] [--password P]</c>: writes a new
/// self-signed cluster certificate that every node of one cluster is given (OpenChat:Cluster:Certificate:Path).
/// </summary>
public static class ClusterCertCommand
{
    public const string Name = "cluster-cert";
    private const int DefaultDays = 730;

    private const string Usage =
        "usage: dotnet OpenChat.Server.dll cluster-cert --out FILE.pfx [--days N] [--password PASSWORD]\n" +
        "  --out       where to write the PKCS#12 file (it must not exist yet)\n" +
        "  --days      how long the certificate is valid (default 730)\n" +
        "  --password  the file's password (default: none; then keep the file readable by the server's user only)";

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        string? path = null;
        string? password = null;
        var days = DefaultDays;
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--out" when value is not null:
                    path = value;
                    i++;
                    break;
                case "--password" when value is not null:
                    password = value;
                    i++;
                    break;
                case "--days" when int.TryParse(value, out days) && days is >= 1 and <= 36_500:
                    i++;
                    break;
                default:
                    error.WriteLine($"cluster-cert: unexpected or incomplete argument '{args[i]}'.\n{Usage}");
                    return 2;
            }
        }
        if (path is null)
        {
            error.WriteLine($"cluster-cert: --out is required.\n{Usage}");
            return 2;
        }
        if (File.Exists(path))
        {
            error.WriteLine($"cluster-cert: '{path}' exists already; a new certificate goes to a new file.");
            return 1;
        }

        var now = DateTimeOffset.UtcNow;
        var pfx = ClusterCertificate.Create("openchat-cluster", TimeSpan.FromDays(days), password, now);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var file = new FileStream(path, options)) file.Write(pfx);

        using var certificate = X509CertificateLoader.LoadPkcs12(pfx, password);
        output.WriteLine($"Wrote {path}: a self-signed cluster certificate valid until {certificate.NotAfter.ToUniversalTime():yyyy-MM-dd HH:mm} UTC.");
        output.WriteLine($"SHA-256 fingerprint: {ClusterCertificate.FingerprintOf(certificate)}");
        output.WriteLine("Give the same file to every node: OpenChat__Cluster__Certificate__Path (and OpenChat__Cluster__Certificate__Password).");
        return 0;
    }
}
