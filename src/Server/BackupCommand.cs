using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace OpenChat.Server;

/// <summary>
/// <c>dotnet OpenChat.Server.dll backup --data DIR --out TARGET</c>: a consistent copy of an all-in-one server's data
/// folder, taken while the server runs. Every SQLite database in the folder (the journal, <c>openchat.db</c>) is copied
/// with SQLite's online backup API, which reads one snapshot of the file while the server goes on writing; every
/// other file (the generated <c>signing.key</c>) is copied as it is. TARGET is a new folder, or an archive when it
/// ends in <c>.tar.gz</c>, <c>.tgz</c> or <c>.tar</c>.
/// </summary>
public static class BackupCommand
{
    public const string Name = "backup";

    /// <summary>The file a backup carries to say what it is; restore refuses a folder or archive without it.</summary>
    public const string ManifestName = "openchat-backup.json";

    private const string Usage =
        "usage: dotnet OpenChat.Server.dll backup --data DIR --out TARGET\n" +
        "  --data  the server's data folder (OpenChat:DataDirectory), which holds openchat.db and signing.key\n" +
        "  --out   where to write the backup: a new or empty folder, or an archive file ending in .tar.gz, .tgz or .tar\n" +
        "The server may keep running: the database is copied from one consistent snapshot.";

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        string? data = null;
        string? target = null;
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[i + 1] : null;
            switch (args[i])
            {
                case "--data" when value is not null:
                    data = value;
                    i++;
                    break;
                case "--out" when value is not null:
                    target = value;
                    i++;
                    break;
                default:
                    error.WriteLine($"backup: unexpected or incomplete argument '{args[i]}'.\n{Usage}");
                    return 2;
            }
        }
        if (data is null || target is null)
        {
            error.WriteLine($"backup: {(data is null ? "--data" : "--out")} is required.\n{Usage}");
            return 2;
        }
        data = Path.GetFullPath(data);
        target = Path.GetFullPath(target);
        if (!Directory.Exists(data))
        {
            error.WriteLine($"backup: the data folder '{data}' does not exist.");
            return 1;
        }
        var files = DataFolder.Files(data);
        if (!files.Any(f => f.IsDatabase) && !files.Any(f => f.RelativePath == "signing.key"))
        {
            error.WriteLine($"backup: '{data}' holds no OpenChat data (no SQLite database, no signing.key); is it the server's OpenChat:DataDirectory?");
            return 1;
        }
        var archive = ArchiveKind.Of(target);
        if (archive is null && Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any())
        {
            error.WriteLine($"backup: '{target}' is a folder that is not empty; a backup goes to a new or empty folder.");
            return 1;
        }
        if (archive is not null && (File.Exists(target) || Directory.Exists(target)))
        {
            error.WriteLine($"backup: '{target}' exists already; a backup goes to a new file.");
            return 1;
        }
        if (IsInside(target, data))
        {
            error.WriteLine($"backup: '{target}' is inside the data folder '{data}'; write the backup elsewhere.");
            return 1;
        }

        // An archive is assembled in a private folder next to it, then packed; a folder is written in place.
        var folder = archive is null ? target : Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.tmp");
        var created = !Directory.Exists(folder);
        try
        {
            CreatePrivateDirectory(folder);
            var manifest = new BackupManifest { CreatedAt = DateTimeOffset.UtcNow, Source = data };
            foreach (var file in files)
            {
                var destination = Path.Combine(folder, file.RelativePath);
                Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
                if (file.IsDatabase)
                {
                    CopyDatabase(Path.Combine(data, file.RelativePath), destination);
                    manifest.Databases.Add(file.RelativePath);
                }
                else
                {
                    File.Copy(Path.Combine(data, file.RelativePath), destination);
                    manifest.Files.Add(file.RelativePath);
                }
                output.WriteLine($"  {file.RelativePath} ({new FileInfo(destination).Length} bytes{(file.IsDatabase ? ", online backup, integrity ok" : "")})");
            }
            File.WriteAllText(Path.Combine(folder, ManifestName), JsonSerializer.Serialize(manifest, BackupManifest.Json));
            if (archive is not null)
            {
                ArchiveKind.Pack(folder, target, archive.Value);
                Directory.Delete(folder, recursive: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or SqliteException or BackupException)
        {
            error.WriteLine($"backup: failed: {e.Message}");
            // What was written is no backup: leave nothing that could be mistaken for one.
            if (created) TryDelete(folder);
            else foreach (var entry in Directory.EnumerateDirectories(folder)) TryDelete(entry);
            if (!created) foreach (var entry in Directory.EnumerateFiles(folder)) File.Delete(entry);
            return 1;
        }
        output.WriteLine($"Backed up {data} to {target}. Restore it into a stopped server's empty data folder with:");
        output.WriteLine($"  dotnet OpenChat.Server.dll restore --from {target} --data DIR");
        return 0;
    }

    /// <summary>Copies a live database with SQLite's online backup API (one step: one read snapshot), then checks the copy.</summary>
    private static void CopyDatabase(string source, string destination)
    {
        // ReadWrite, not ReadWriteCreate: a database that vanished must not be recreated empty. Writers in the server
        // go on while the snapshot is read (write-ahead logging); a busy moment is waited out.
        var from = new SqliteConnectionStringBuilder { DataSource = source, Mode = SqliteOpenMode.ReadWrite, Pooling = false, DefaultTimeout = 30 };
        var to = new SqliteConnectionStringBuilder { DataSource = destination, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false };
        using (var sourceConnection = new SqliteConnection(from.ConnectionString))
        using (var destinationConnection = new SqliteConnection(to.ConnectionString))
        {
            sourceConnection.Open();
            using (var busy = sourceConnection.CreateCommand())
            {
                busy.CommandText = "PRAGMA busy_timeout = 30000;";
                busy.ExecuteNonQuery();
            }
            destinationConnection.Open();
            sourceConnection.BackupDatabase(destinationConnection);
            // The copy is one file: the server switches it back to write-ahead logging when it opens it.
            Execute(destinationConnection, "PRAGMA journal_mode = DELETE;");
            var check = Execute(destinationConnection, "PRAGMA integrity_check;");
            if (check != "ok") throw new BackupException($"the copy of {source} failed SQLite's integrity check: {check}");
        }
    }

    internal static string? Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar()?.ToString();
    }

    private static void CreatePrivateDirectory(string path)
    {
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(path);
        else Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    internal static bool IsInside(string path, string folder)
    {
        var relative = Path.GetRelativePath(folder, path);
        return relative == "." || (!relative.StartsWith("..", StringComparison.Ordinal) && !Path.IsPathRooted(relative));
    }

    internal static void TryDelete(string? folder)
    {
        if (folder is null || !Directory.Exists(folder)) return;
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

/// <summary>
/// <c>dotnet OpenChat.Server.dll restore --from BACKUP --data DIR [--force]</c>: puts a backup made by
/// <see cref="BackupCommand"/> into the data folder of a stopped server.
/// </summary>
public static class RestoreCommand
{
    public const string Name = "restore";

    private const string Usage =
        "usage: dotnet OpenChat.Server.dll restore --from BACKUP --data DIR [--force]\n" +
        "  --from   a backup written by 'backup': its folder, or its .tar.gz, .tgz or .tar archive\n" +
        "  --data   the data folder (OpenChat:DataDirectory) of a server that is stopped; created if missing\n" +
        "  --force  replace what the data folder holds (its files are deleted first); without it the folder must be empty";

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        string? from = null;
        string? data = null;
        var force = false;
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[i + 1] : null;
            switch (args[i])
            {
                case "--from" when value is not null:
                    from = value;
                    i++;
                    break;
                case "--data" when value is not null:
                    data = value;
                    i++;
                    break;
                case "--force":
                    force = true;
                    break;
                default:
                    error.WriteLine($"restore: unexpected or incomplete argument '{args[i]}'.\n{Usage}");
                    return 2;
            }
        }
        if (from is null || data is null)
        {
            error.WriteLine($"restore: {(from is null ? "--from" : "--data")} is required.\n{Usage}");
            return 2;
        }
        from = Path.GetFullPath(from);
        data = Path.GetFullPath(data);
        var archive = ArchiveKind.Of(from);
        if (archive is null ? !Directory.Exists(from) : !File.Exists(from))
        {
            error.WriteLine($"restore: the backup '{from}' does not exist.");
            return 1;
        }
        if (Directory.Exists(data) && Directory.EnumerateFileSystemEntries(data).Any() && !force)
        {
            error.WriteLine($"restore: the data folder '{data}' is not empty. Restoring replaces its contents: stop the server, " +
                "then run restore again with --force (or restore into an empty folder).");
            return 1;
        }
        if (BackupCommand.IsInside(from, data))
        {
            error.WriteLine($"restore: the backup '{from}' is inside the data folder '{data}'; move it elsewhere first.");
            return 1;
        }

        string? unpacked = null;
        try
        {
            var backup = from;
            if (archive is not null)
            {
                unpacked = Path.Combine(Path.GetTempPath(), $"openchat-restore-{Guid.NewGuid():N}");
                ArchiveKind.Unpack(from, unpacked, archive.Value);
                backup = unpacked;
            }
            var manifestPath = Path.Combine(backup, BackupCommand.ManifestName);
            if (!File.Exists(manifestPath))
            {
                error.WriteLine($"restore: '{from}' is not an OpenChat backup (it has no {BackupCommand.ManifestName}).");
                return 1;
            }
            var manifest = JsonSerializer.Deserialize<BackupManifest>(File.ReadAllText(manifestPath), BackupManifest.Json)
                ?? throw new BackupException($"{BackupCommand.ManifestName} is empty");
            var entries = manifest.Databases.Concat(manifest.Files).ToList();
            foreach (var entry in entries)
            {
                if (Path.IsPathRooted(entry) || entry.Split('/', '\\').Contains(".."))
                    throw new BackupException($"{BackupCommand.ManifestName} names a file outside the data folder: '{entry}'");
                if (!File.Exists(Path.Combine(backup, entry))) throw new BackupException($"the backup lacks '{entry}', which its manifest lists");
            }
            // Every database is checked before anything in the data folder is touched.
            foreach (var database in manifest.Databases) CheckDatabase(Path.Combine(backup, database));

            if (Directory.Exists(data))
            {
                // Stale write-ahead logs must go too: SQLite would replay them onto the restored file.
                foreach (var entry in Directory.EnumerateFileSystemEntries(data))
                {
                    if (Directory.Exists(entry)) Directory.Delete(entry, recursive: true);
                    else File.Delete(entry);
                }
            }
            else if (OperatingSystem.IsWindows()) Directory.CreateDirectory(data);
            else Directory.CreateDirectory(data, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

            foreach (var entry in entries)
            {
                var destination = Path.Combine(data, entry);
                Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
                File.Copy(Path.Combine(backup, entry), destination);
                output.WriteLine($"  {entry} ({new FileInfo(destination).Length} bytes)");
            }
            output.WriteLine($"Restored the backup of {manifest.Source} taken {manifest.CreatedAt:yyyy-MM-dd HH:mm:ss} UTC into {data}.");
            return 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or SqliteException or BackupException
                                      or JsonException or InvalidDataException)
        {
            error.WriteLine($"restore: failed: {e.Message}");
            return 1;
        }
        finally
        {
            BackupCommand.TryDelete(unpacked);
        }
    }

    private static void CheckDatabase(string path)
    {
        var builder = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false };
        using var connection = new SqliteConnection(builder.ConnectionString);
        connection.Open();
        var check = BackupCommand.Execute(connection, "PRAGMA integrity_check;");
        if (check != "ok") throw new BackupException($"the backup's database '{path}' failed SQLite's integrity check: {check}");
    }
}

/// <summary>What a backup holds, written into it as <c>openchat-backup.json</c>.</summary>
public sealed class BackupManifest
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public DateTimeOffset CreatedAt { get; set; }
    public string Source { get; set; } = "";

    /// <summary>SQLite files copied with the online backup API, relative to the data folder.</summary>
    public List<string> Databases { get; set; } = [];

    /// <summary>Other files, copied as they were.</summary>
    public List<string> Files { get; set; } = [];
}

internal sealed class BackupException(string message) : Exception(message);

/// <summary>The files of a data folder, each SQLite database recognised by its header, without their journal files.</summary>
internal static class DataFolder
{
    private static readonly byte[] SqliteHeader = "SQLite format 3\0"u8.ToArray();
    private static readonly string[] JournalSuffixes = ["-wal", "-shm", "-journal"];

    public sealed record Entry(string RelativePath, bool IsDatabase);

    public static List<Entry> Files(string data)
    {
        var all = Directory.EnumerateFiles(data, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(data, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .ToList();
        var databases = all.Where(f => IsSqlite(Path.Combine(data, f))).ToHashSet();
        return all
            // A database's -wal, -shm and -journal belong to the live file; the online backup includes what they hold.
            .Where(f => !JournalSuffixes.Any(s => f.EndsWith(s, StringComparison.Ordinal) && databases.Contains(f[..^s.Length])))
            // Half-written files (the signing key is written to .tmp, then renamed).
            .Where(f => !f.EndsWith(".tmp", StringComparison.Ordinal))
            .Select(f => new Entry(f, databases.Contains(f)))
            .ToList();
    }

    private static bool IsSqlite(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            Span<byte> header = stackalloc byte[16];
            return stream.ReadAtLeast(header, 16, throwOnEndOfStream: false) == 16 && header.SequenceEqual(SqliteHeader);
        }
        catch (IOException)
        {
            return false;
        }
    }
}

/// <summary>Backups written as one file: tar, optionally gzip-compressed.</summary>
internal static class ArchiveKind
{
    public enum Kind { Tar, TarGz }

    public static Kind? Of(string path) =>
        path.EndsWith(".tar.gz", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".tgz", StringComparison.OrdinalIgnoreCase) ? Kind.TarGz
        : path.EndsWith(".tar", StringComparison.OrdinalIgnoreCase) ? Kind.Tar
        : null;

    public static void Pack(string folder, string target, Kind kind)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using var file = new FileStream(target, options);
        if (kind == Kind.TarGz)
        {
            using var gzip = new GZipStream(file, CompressionLevel.Optimal);
            TarFile.CreateFromDirectory(folder, gzip, includeBaseDirectory: false);
        }
        else
        {
            TarFile.CreateFromDirectory(folder, file, includeBaseDirectory: false);
        }
    }

    public static void Unpack(string archive, string folder, Kind kind)
    {
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(folder);
        else Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        using var file = File.OpenRead(archive);
        if (kind == Kind.TarGz)
        {
            using var gzip = new GZipStream(file, CompressionMode.Decompress);
            TarFile.ExtractToDirectory(gzip, folder, overwriteFiles: false);
        }
        else
        {
            TarFile.ExtractToDirectory(file, folder, overwriteFiles: false);
        }
    }
}
