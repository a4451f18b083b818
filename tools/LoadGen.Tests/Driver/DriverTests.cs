using OpenChat.LoadGen.Driver;
using Xunit;

namespace OpenChat.LoadGen.Tests.Driver;

public sealed class DriverTests
{
    [Theory]
    [InlineData(20, 2)]
    [InlineData(1, 4)]
    [InlineData(50, 3)]
    [InlineData(3, 8)]
    [InlineData(1, 11)]
    public void Room_mates_get_tones_150_Hz_apart_and_every_talker_a_distinct_one(int rooms, int talkers)
    {
        var plan = FrequencyPlan.Assign(rooms, talkers);
        Assert.Equal(rooms, plan.Length);
        foreach (var room in plan)
        {
            Assert.Equal(talkers, room.Length);
            foreach (var a in room)
            {
                foreach (var b in room.Where(b => b != a)) Assert.True(Math.Abs(a - b) >= 150, $"{a} and {b} Hz share a room");
            }
        }
        var all = plan.SelectMany(r => r).ToArray();
        Assert.Equal(all.Length, all.Distinct().Count());
    }

    [Fact]
    public void Neighbouring_tones_belong_to_different_rooms_and_all_lie_within_one_octave()
    {
        var plan = FrequencyPlan.Assign(20, 2);
        var byTone = plan.SelectMany((room, r) => room.Select(f => (Hz: f, Room: r))).OrderBy(x => x.Hz).ToArray();
        Assert.All(byTone.Zip(byTone.Skip(1)), p => Assert.NotEqual(p.First.Room, p.Second.Room));
        Assert.Equal(41, FrequencyPlan.StepHz(20, 2));
        // No room-mate's second harmonic comes within 150 Hz of any tone.
        Assert.True(2 * byTone.Min(x => x.Hz) - byTone.Max(x => x.Hz) >= 150);
    }

    [Fact]
    public void More_talkers_than_the_band_can_keep_apart_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => FrequencyPlan.Assign(1, 12));
        Assert.ThrowsAny<ArgumentException>(() => LoadGenOptions.Parse(["--url", "http://127.0.0.1:1", "--members", "30", "--rooms", "1", "--talkers-per-room", "30"]));
    }

    [Fact]
    public void Options_parse_with_defaults_and_repeatable_urls()
    {
        var o = LoadGenOptions.Parse(["--url", "http://127.0.0.1:8080/", "--url", "http://127.0.0.1:8081", "--members", "12",
            "--rooms", "3", "--signal", "speech", "--join-at-once", "--pid", "42"]);
        Assert.Equal(["http://127.0.0.1:8080", "http://127.0.0.1:8081"], o.Urls);
        Assert.Equal((12, 3, 2, 30, "speech", true), (o.Members, o.Rooms, o.TalkersPerRoom, o.Seconds, o.Signal, o.JoinAtOnce));
        Assert.Equal([42], o.Pids);
        Assert.Equal("udp", o.Transport);
        Assert.Equal("tcp", LoadGenOptions.Parse(["--url", "http://127.0.0.1:8080", "--transport", "tcp"]).Transport);
        Assert.Null(o.Disrupt);
        var drain = LoadGenOptions.Parse(["--url", "http://127.0.0.1:8080", "--seconds", "40", "--disrupt", "term:4242@10"]).Disrupt;
        Assert.Equal(new Disruption("term", 4242, 10), drain);
        Assert.Equal(15, drain!.Number);
        Assert.Equal(9, LoadGenOptions.Parse(["--url", "http://127.0.0.1:8080", "--disrupt", "kill:7@5"]).Disrupt!.Number);
    }

    [Theory]
    [InlineData("--members", "5")]
    [InlineData("--url", "http://127.0.0.1:1", "--rooms", "9", "--members", "3")]
    [InlineData("--url", "http://127.0.0.1:1", "--signal", "noise")]
    [InlineData("--url", "http://127.0.0.1:1", "--bogus")]
    [InlineData("--url", "http://127.0.0.1:1", "--transport", "quic")]
    [InlineData("--url", "http://127.0.0.1:1", "--disrupt", "stop:42@5")]
    [InlineData("--url", "http://127.0.0.1:1", "--disrupt", "term:42")]
    [InlineData("--url", "http://127.0.0.1:1", "--seconds", "10", "--disrupt", "term:42@10")]
    public void Bad_command_lines_are_refused(params string[] args)
    {
        Assert.Throws<ArgumentException>(() => LoadGenOptions.Parse(args));
    }
}
