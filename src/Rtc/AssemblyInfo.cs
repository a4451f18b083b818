namespace OpenChat.Rtc;
