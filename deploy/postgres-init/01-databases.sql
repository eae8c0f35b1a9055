-- Run once by the postgres image on an empty data volume, as POSTGRES_USER (ep).
-- One database per service: services never share tables.
CREATE DATABASE accounts OWNER ep;
CREATE DATABASE requests OWNER ep;
CREATE DATABASE notifier OWNER ep;
