using Microsoft.Extensions.Configuration;
using Xunit;

namespace OpenChat.MediaNode.Tests.Hosting;

/// <summary>The advertised addresses read from a file named in configuration (one per machine, for example a ConfigMap key per node).</summary>
public sealed class AdvertisedAddressFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("openchat-address-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    internal static MediaNodeOptions Read(params (string Key, string Value)[] settings) =>
        MediaSetup.ReadOptions(new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)))
            .Build());

    [Fact]
    public void The_file_s_address_becomes_the_advertised_address()
    {
        var path = Path.Combine(_dir, "node-1");
        File.WriteAllText(path, " 203.0.113.7\n");
        Assert.Equal(["203.0.113.7"], Read(("OpenChat:Media:RtcAdvertisedAddressFile", path)).RtcAdvertisedAddresses!);
    }

    [Fact]
    public void A_file_of_several_lines_gives_several_addresses_in_its_order()
    {
        var path = Path.Combine(_dir, "node-2");
        File.WriteAllText(path, "192.168.1.20\r\n\n 203.0.113.7 \n2001:db8::7\n");
        var options = Read(("OpenChat:Media:RtcAdvertisedAddressFile", path), ("OpenChat:Media:RtcBindAddresses:0", "0.0.0.0"), ("OpenChat:Media:RtcBindAddresses:1", "::"));
        Assert.Equal(["192.168.1.20", "203.0.113.7", "2001:db8::7"], options.RtcAdvertisedAddresses!);

        File.WriteAllText(path, "192.168.1.20, 2001:db8::7");
        Assert.Equal(["192.168.1.20", "2001:db8::7"], Read(("OpenChat:Media:RtcAdvertisedAddressFile", path), ("OpenChat:Media:RtcBindAddresses:0", "0.0.0.0"), ("OpenChat:Media:RtcBindAddresses:1", "::")).RtcAdvertisedAddresses!);

        File.WriteAllText(path, string.Join('\n', Enumerable.Range(1, 9).Select(i => $"192.0.2.{i}")));
        Assert.Contains("holds 9 addresses", Assert.Throws<ArgumentException>(() => Read(("OpenChat:Media:RtcAdvertisedAddressFile", path))).Message);
        File.WriteAllText(path, "192.0.2.1\n192.0.2.1\n");
        Assert.Contains("192.0.2.1 is listed twice", Assert.Throws<ArgumentException>(() => Read(("OpenChat:Media:RtcAdvertisedAddressFile", path))).Message);
    }

    [Fact]
    public void A_missing_file_a_file_without_an_address_or_both_settings_stop_the_start_with_the_setting_named()
    {
        var missing = Assert.Throws<ArgumentException>(() => Read(("OpenChat:Media:RtcAdvertisedAddressFile", Path.Combine(_dir, "node-9"))));
        Assert.Contains("RtcAdvertisedAddressFile", missing.Message);
        Assert.Contains("node-9", missing.Message);

        var path = Path.Combine(_dir, "bad");
        File.WriteAllText(path, "chat.example.com");
        Assert.Contains("not an IP address", Assert.Throws<ArgumentException>(() => Read(("OpenChat:Media:RtcAdvertisedAddressFile", path))).Message);

        File.WriteAllText(path, new string('1', 2000));
        Assert.Contains("not a list of IP addresses", Assert.Throws<ArgumentException>(() => Read(("OpenChat:Media:RtcAdvertisedAddressFile", path))).Message);

        File.WriteAllText(path, "198.51.100.1");
        Assert.Contains("only one", Assert.Throws<ArgumentException>(() =>
            Read(("OpenChat:Media:RtcAdvertisedAddressFile", path), ("OpenChat:Media:RtcAdvertisedAddress", "198.51.100.2"))).Message);
    }
}
