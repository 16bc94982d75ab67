<?xml version="1.0" encoding="utf-8"?>
<!--
  Shows an RSS 2.0 or Atom 1.0 feed of syndicate as a page, for a person who opens the feed in
  a browser: what it is, how to subscribe, and its latest items. Feed readers ignore it. No
  script and nothing from other sites: the page's only other resource is the site's own CSS.
-->
<xsl:stylesheet version="1.0"
  xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  xmlns:atom="http://www.w3.org/2005/Atom"
  exclude-result-prefixes="atom">
<xsl:output method="html" encoding="utf-8" indent="no"
  doctype-system="about:legacy-compat"/>

<xsl:variable name="title" select="/rss/channel/title | /atom:feed/atom:title"/>
<xsl:variable name="self"
  select="/rss/channel/atom:link[@rel='self']/@href | /atom:feed/atom:link[@rel='self']/@href"/>
<xsl:variable name="site"
  select="/rss/channel/link | /atom:feed/atom:link[@rel='alternate'][@type='text/html']/@href"/>
<xsl:variable name="description" select="/rss/channel/description | /atom:feed/atom:subtitle"/>
<xsl:variable name="language" select="/rss/channel/language | /atom:feed/@xml:lang"/>
<xsl:variable name="format">
  <xsl:choose>
    <xsl:when test="/rss">RSS 2.0</xsl:when>
    <xsl:otherwise>Atom 1.0</xsl:otherwise>
  </xsl:choose>
</xsl:variable>

<xsl:template match="/">
<html>
<xsl:attribute name="lang">
  <xsl:choose>
    <xsl:when test="$language"><xsl:value-of select="$language"/></xsl:when>
    <xsl:otherwise>en</xsl:otherwise>
  </xsl:choose>
</xsl:attribute>
<head>
<meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<title><xsl:value-of select="$title"/> (feed)</title>
<link rel="stylesheet" href="/static/style.css"/>
</head>
<body>
<header class="site"><a href="{$site}"><xsl:value-of select="$title"/></a></header>
<main id="main" class="feed-preview">
<p class="notice"><strong>This is a web feed</strong> (<xsl:value-of select="$format"/>).
Subscribe by copying its address into your feed reader; it will show new articles as they are
published.</p>
<h1><xsl:value-of select="$title"/></h1>
<xsl:if test="$description"><p class="dek"><xsl:value-of select="$description"/></p></xsl:if>
<p class="subscribe-url"><label for="address">Feed address</label>
<input id="address" type="text" readonly="readonly" value="{$self}"/></p>
<p><a href="{$site}">Visit the site</a></p>
<section class="articles" aria-labelledby="latest">
<h2 id="latest">Latest</h2>
<ul>
<xsl:apply-templates select="/rss/channel/item | /atom:feed/atom:entry"/>
</ul>
</section>
</main>
</body>
</html>
</xsl:template>

<xsl:template match="item">
<li class="card">
<h3><a href="{link}"><xsl:value-of select="title"/></a></h3>
<p class="byline"><xsl:value-of select="pubDate"/></p>
<p class="summary"><xsl:value-of select="description"/></p>
</li>
</xsl:template>

<xsl:template match="atom:entry">
<li class="card">
<h3><a href="{atom:link[@rel='alternate']/@href}"><xsl:value-of select="atom:title"/></a></h3>
<p class="byline"><xsl:value-of select="substring(atom:published, 1, 10)"/>
<xsl:for-each select="atom:author"> · <xsl:value-of select="atom:name"/></xsl:for-each></p>
<xsl:if test="atom:summary"><p class="summary"><xsl:value-of select="atom:summary"/></p></xsl:if>
</li>
</xsl:template>
</xsl:stylesheet>
