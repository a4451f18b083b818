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
    public void With_up_to_six_talkers_a_room_stays_inside_one_octave_so_no_tone_is_a_room_mates_harmonic()
    {
        foreach (var room in FrequencyPlan.Assign(20, 6))
        {
            Assert.True(room.Max() < 2 * room.Min(), string.Join(", ", room));
        }
    }

    [Fact]
    public void Options_parse_with_defaults_and_repeatable_urls()
    {
        var o = LoadGenOptions.Parse(["--url", "http://127.0.0.1:8080/", "--url", "http://127.0.0.1:8081", "--members", "12",
            "--rooms", "3", "--signal", "speech", "--join-at-once", "--pid", "42"]);
        Assert.Equal(["http://127.0.0.1:8080", "http://127.0.0.1:8081"], o.Urls);
        Assert.Equal((12, 3, 2, 30, "speech", true), (o.Members, o.Rooms, o.TalkersPerRoom, o.Seconds, o.Signal, o.JoinAtOnce));
        Assert.Equal([42], o.Pids);
    }

    [Theory]
    [InlineData("--members", "5")]
    [InlineData("--url", "http://127.0.0.1:1", "--rooms", "9", "--members", "3")]
    [InlineData("--url", "http://127.0.0.1:1", "--signal", "noise")]
    [InlineData("--url", "http://127.0.0.1:1", "--bogus")]
    public void Bad_command_lines_are_refused(params string[] args)
    {
        Assert.Throws<ArgumentException>(() => LoadGenOptions.Parse(args));
    }
}
