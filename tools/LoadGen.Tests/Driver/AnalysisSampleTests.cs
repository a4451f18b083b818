using OpenChat.LoadGen.Driver;
using Xunit;

namespace OpenChat.LoadGen.Tests.Driver;

public sealed class AnalysisSampleTests
{
    /// <summary>The analysed seats of each room, in order; member i sits in room i mod rooms at seat i / rooms.</summary>
    private static Dictionary<int, int[]> AnalysedSeats(AnalysisSample sample, int members, int rooms, int talkers) =>
        Enumerable.Range(0, members)
            .Where(i => sample.Analyses(i, members, rooms, talkers))
            .GroupBy(i => i % rooms)
            .ToDictionary(g => g.Key, g => g.Select(i => i / rooms).Order().ToArray());

    [Fact]
    public void By_default_everyone_is_analysed()
    {
        var o = LoadGenOptions.Parse(["--url", "http://127.0.0.1:1", "--members", "40", "--rooms", "4"]);
        Assert.True(o.Analyse.IsEveryone);
        Assert.All(Enumerable.Range(0, 40), i => Assert.True(o.Analyse.Analyses(i, 40, 4, 2)));
    }

    [Fact]
    public void A_number_analyses_that_many_listeners_per_room_and_counts_the_talkers()
    {
        var sample = LoadGenOptions.Parse(["--url", "http://127.0.0.1:1", "--analyse", "2"]).Analyse;
        var seats = AnalysedSeats(sample, 100, 10, 2);
        Assert.Equal(10, seats.Count);
        // Seats 0 and 1 talk; 2 and 3 are the first listeners.
        Assert.All(seats.Values, s => Assert.Equal([2, 3], s));
    }

    [Fact]
    public void A_share_of_listeners_is_rounded_up_and_never_below_one()
    {
        var tenth = AnalysisSample.Parse("10%", talkers: false);
        // Rooms of 10 with 2 talkers have 8 listeners: a tenth is 0.8, rounded up to 1.
        Assert.All(AnalysedSeats(tenth, 100, 10, 2).Values, s => Assert.Equal([2], s));
        var half = AnalysisSample.Parse("50%", talkers: false);
        Assert.All(AnalysedSeats(half, 100, 10, 2).Values, s => Assert.Equal([2, 3, 4, 5], s));
        var tiny = AnalysisSample.Parse("1%", talkers: false);
        Assert.All(AnalysedSeats(tiny, 100, 10, 2).Values, s => Assert.Equal([2], s));
    }

    [Fact]
    public void Every_room_keeps_an_analysed_member_who_hears_each_of_its_talkers()
    {
        // Uneven rooms (103 members in 10: three rooms of 11), rooms without listeners, a lone talker's room.
        foreach (var (members, rooms, talkers) in new[] { (103, 10, 2), (20, 10, 2), (30, 10, 3), (5, 5, 1), (12, 4, 0) })
        {
            var sample = AnalysisSample.Parse("1", talkers: false);
            for (int room = 0; room < rooms; room++)
            {
                var inRoom = Enumerable.Range(0, members).Where(i => i % rooms == room).ToArray();
                var talking = inRoom.Where(i => i / rooms < talkers).ToArray();
                var analysed = inRoom.Where(i => sample.Analyses(i, members, rooms, talkers)).ToArray();
                Assert.NotEmpty(analysed);
                // Each talker is heard by an analysed member other than itself, when the room has anyone else.
                foreach (var t in talking.Where(_ => inRoom.Length > 1))
                    Assert.True(analysed.Any(a => a != t), $"room {room} of {members}/{rooms}/{talkers}: nobody analysed hears {t}");
            }
        }
    }

    [Fact]
    public void Talkers_are_analysed_too_when_asked()
    {
        var o = LoadGenOptions.Parse(["--url", "http://127.0.0.1:1", "--analyse", "1", "--analyse-talkers"]);
        Assert.All(AnalysedSeats(o.Analyse, 100, 10, 2).Values, s => Assert.Equal([0, 1, 2], s));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("0%")]
    [InlineData("101%")]
    public void Empty_or_impossible_samples_are_refused(string value)
    {
        Assert.Throws<ArgumentException>(() => LoadGenOptions.Parse(["--url", "http://127.0.0.1:1", "--analyse", value]));
    }

    [Fact]
    public void Analysing_talkers_without_a_sample_is_refused()
    {
        Assert.Throws<ArgumentException>(() => LoadGenOptions.Parse(["--url", "http://127.0.0.1:1", "--analyse-talkers"]));
    }
}
