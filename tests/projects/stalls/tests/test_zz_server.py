import socket


def test_waits_for_a_client_forever():
    # As boltons' socket tests do when nothing connects: waits in accept() using no CPU.
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.accept()
