namespace OpenChat.MediaNode;
